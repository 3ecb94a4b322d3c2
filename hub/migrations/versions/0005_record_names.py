"""Add ``identity_record_names``: each record's other names, so a name alone finds the person.

A search without a birth date matched only the name a record is filed under and confirmed
aliases, so the Han school name an agency recorded as an other name found nobody. The
existing records' other names are copied in.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

from hub.identity import normalise
from hub.store.tables import Id

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    names = op.create_table(
        "identity_record_names",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("record_id", sa.BigInteger, nullable=False),
        sa.Column("name_key", sa.String(200), nullable=False),
        sa.Column("pinyin_key", sa.String(400), nullable=False),
    )
    for column in ("record_id", "name_key", "pinyin_key"):
        op.create_index(f"ix_identity_record_names_{column}", "identity_record_names", [column])

    records = sa.table(
        "identity_records",
        sa.column("id", sa.BigInteger),
        sa.column("name", sa.String),
        sa.column("other_names", sa.JSON),
    )
    rows = op.get_bind().execute(sa.select(records.c.id, records.c.name, records.c.other_names)).all()
    copied = [
        {"record_id": record_id, "name_key": key, "pinyin_key": normalise.pinyin_key(key)}
        for record_id, name, other_names in rows
        for key in _keys(other_names)
        if key != normalise.name_key(name)
    ]
    if copied:
        op.bulk_insert(names, copied)


def _keys(other_names: object) -> list[str]:
    # A driver may hand the JSON column back as text rather than as a list.
    values = json.loads(other_names) if isinstance(other_names, str) else other_names
    if not isinstance(values, list):
        return []
    return list(dict.fromkeys(key for key in (normalise.name_key(str(v)) for v in values) if key))


def downgrade() -> None:
    op.drop_table("identity_record_names")
