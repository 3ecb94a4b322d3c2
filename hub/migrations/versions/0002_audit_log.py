"""Create the audit log: hash-chained entries, the chain head row and signed checkpoints.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hub.store.tables import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_entries",
        sa.Column("sequence", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("operation", sa.String(40), nullable=False),
        sa.Column("actor_id", sa.String(120), nullable=False),
        sa.Column("unit_agency", sa.String(20), nullable=False),
        sa.Column("unit_county", sa.String(6), nullable=False),
        sa.Column("role", sa.String(120), nullable=False),
        sa.Column("purpose", sa.String(40)),
        sa.Column("case_number", sa.String(120)),
        sa.Column("subject_hash", sa.String(64)),
        sa.Column("notice_id", sa.BigInteger),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
    )
    for column in ("recorded_at", "actor_id", "case_number", "subject_hash", "notice_id"):
        op.create_index(f"ix_audit_entries_{column}", "audit_entries", [column])
    head = op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("sequence", sa.BigInteger, nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
    )
    op.bulk_insert(head, [{"id": 1, "sequence": 0, "entry_hash": "0" * 64}])
    op.create_table(
        "audit_checkpoints",
        sa.Column("sequence", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("signature", sa.String(200), nullable=False),
        sa.Column("signed_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    for table in ("audit_checkpoints", "audit_chain_head", "audit_entries"):
        op.drop_table(table)
