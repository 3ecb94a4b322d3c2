"""Create the correction-notice tables: notices, outbox, delivery attempts, watermarks, locks.

Revision ID: 0001
Revises:
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hub.store.tables import Id, UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notices",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("court_name", sa.String(200), nullable=False),
        sa.Column("case_number", sa.String(120), nullable=False),
        sa.Column("case_number_raw", sa.String(120), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attention_reason", sa.String(500)),
        sa.Column("correction_type", sa.String(40)),
        sa.Column("county_code", sa.String(6)),
        sa.Column("bureau_county_code", sa.String(6)),
        sa.Column("person_name_masked", sa.String(60), nullable=False),
        sa.Column("id_number_masked", sa.String(18)),
        sa.Column("effective_date", sa.Date),
        sa.Column("notice_due", sa.Date),
        sa.Column("documents_due", sa.Date),
        sa.Column("reporting_due", sa.Date),
        sa.Column("receipt_due", sa.Date),
        sa.Column("court_sequence", sa.BigInteger, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", UTCDateTime),
        sa.Column("last_error", sa.Text),
        sa.Column("acceptance_id", sa.String(64)),
        sa.Column("delivered_at", UTCDateTime),
        sa.Column("receipt_at", UTCDateTime),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("court_name", "case_number", name="uq_notices_judgment"),
    )
    op.create_index("ix_notices_status", "notices", ["status"])
    op.create_table(
        "outbox",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("notice_id", Id, sa.ForeignKey("notices.id", name="fk_outbox_notice_id"), nullable=False),
        sa.Column("idempotency_key", sa.String(64), nullable=False),
        sa.Column("bureau_county_code", sa.String(6), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("lease_owner", sa.String(64)),
        sa.Column("lease_until", UTCDateTime),
        sa.Column("sent_at", UTCDateTime),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("notice_id", name="uq_outbox_notice_id"),
        sa.UniqueConstraint("idempotency_key", name="uq_outbox_idempotency_key"),
    )
    op.create_index("ix_outbox_sent_at", "outbox", ["sent_at"])
    op.create_table(
        "delivery_attempts",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column(
            "notice_id",
            Id,
            sa.ForeignKey("notices.id", name="fk_delivery_attempts_notice_id"),
            nullable=False,
        ),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("deliverer", sa.String(64), nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("finished_at", UTCDateTime, nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("error_code", sa.String(40)),
        sa.Column("error", sa.Text),
        sa.Column("acceptance_id", sa.String(64)),
    )
    op.create_index("ix_delivery_attempts_notice_id", "delivery_attempts", ["notice_id"])
    op.create_table(
        "poll_watermarks",
        sa.Column("agency", sa.String(200), primary_key=True),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "hub_locks",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    for table in ("hub_locks", "poll_watermarks", "delivery_attempts", "outbox", "notices"):
        op.drop_table(table)
