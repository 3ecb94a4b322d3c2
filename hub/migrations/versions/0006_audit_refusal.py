"""Add ``audit_entries.refusal``: the rule that refused a lookup, so auditors can filter by it.

The rule was only in the hashed payload. Existing ``lookup_refused`` rows get the column
copied from their payload. A payload that is not an audit document, or whose ``refusal`` is
not a string that fits the column, leaves NULL, and ``hub audit verify`` reports that entry.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_BATCH = 1000
_REFUSAL_LENGTH = 40

_entries = sa.table(
    "audit_entries",
    sa.column("sequence", sa.BigInteger),
    sa.column("kind", sa.String),
    sa.column("payload", sa.Text),
    sa.column("refusal", sa.String),
)


def upgrade() -> None:
    op.add_column("audit_entries", sa.Column("refusal", sa.String(_REFUSAL_LENGTH)))
    op.create_index("ix_audit_entries_refusal", "audit_entries", ["refusal"])
    _copy_refusals(op.get_bind())


def _copy_refusals(bind: sa.Connection) -> None:
    """Copy each refused lookup's rule from its payload into the new column, a batch at a time."""
    update = (
        sa.update(_entries)
        .where(_entries.c.sequence == sa.bindparam("row_sequence"))
        .values(refusal=sa.bindparam("row_refusal"))
    )
    after = 0
    while True:
        rows = bind.execute(
            sa.select(_entries.c.sequence, _entries.c.payload)
            .where(_entries.c.kind == "lookup_refused", _entries.c.sequence > after)
            .order_by(_entries.c.sequence)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        copied = [
            {"row_sequence": sequence, "row_refusal": refusal}
            for sequence, payload in rows
            if (refusal := _refusal(payload)) is not None
        ]
        if copied:
            bind.execute(update, copied)
        after = rows[-1].sequence


def _refusal(payload: str) -> str | None:
    try:
        refusal = json.loads(payload)["entry"].get("refusal")
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    # A value that does not fit the column can only come from a changed payload: it stays NULL.
    if not isinstance(refusal, str) or len(refusal) > _REFUSAL_LENGTH:
        return None
    return refusal


def downgrade() -> None:
    # SQLite cannot drop a column that an index still uses.
    op.drop_index("ix_audit_entries_refusal", table_name="audit_entries")
    op.drop_column("audit_entries", "refusal")
