"""Create the person index: records, hub persons, aliases, decisions, possible matches, events, cursors.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hub.store.tables import Id, UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identity_records",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("agency", sa.String(20), nullable=False),
        sa.Column("local_key", sa.String(120), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("other_names", sa.JSON, nullable=False),
        sa.Column("name_key", sa.String(200), nullable=False),
        sa.Column("pinyin_key", sa.String(400), nullable=False),
        sa.Column("id_number", sa.String(18)),
        sa.Column("id_number_recorded", sa.String(40)),
        sa.Column("sex_code", sa.String(1), nullable=False),
        sa.Column("sex_conflict", sa.Boolean, nullable=False),
        sa.Column("ethnicity_code", sa.String(2)),
        sa.Column("birth_date", sa.Date),
        sa.Column("county_code", sa.String(6)),
        sa.Column("person_id", sa.BigInteger),
        sa.Column("link_method", sa.String(20)),
        sa.Column("link_score", sa.Float),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("agency", "local_key", name="uq_identity_records_source"),
    )
    for column in ("name_key", "pinyin_key", "id_number", "birth_date", "person_id"):
        op.create_index(f"ix_identity_records_{column}", "identity_records", [column])
    op.create_table(
        "identity_persons",
        sa.Column("person_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("merged_into", sa.BigInteger),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "identity_aliases",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("person_id", sa.BigInteger, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_key", sa.String(200), nullable=False),
        sa.Column("pinyin_key", sa.String(400), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.UniqueConstraint("person_id", "name_key", name="uq_identity_aliases_person_name"),
    )
    for column in ("person_id", "name_key", "pinyin_key"):
        op.create_index(f"ix_identity_aliases_{column}", "identity_aliases", [column])
    op.create_table(
        "identity_decisions",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("agency_a", sa.String(20), nullable=False),
        sa.Column("local_key_a", sa.String(120), nullable=False),
        sa.Column("agency_b", sa.String(20), nullable=False),
        sa.Column("local_key_b", sa.String(120), nullable=False),
        sa.Column("decision", sa.String(10), nullable=False),
        sa.Column("operator", sa.String(120), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("decided_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint(
            "agency_a", "local_key_a", "agency_b", "local_key_b", name="uq_identity_decisions_pair"
        ),
    )
    op.create_table(
        "identity_candidates",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("record_a", sa.BigInteger, nullable=False),
        sa.Column("record_b", sa.BigInteger, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("agreed", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    for column in ("record_a", "record_b"):
        op.create_index(f"ix_identity_candidates_{column}", "identity_candidates", [column])
    op.create_table(
        "identity_events",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("person_id", sa.BigInteger),
        sa.Column("other_person_id", sa.BigInteger),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_identity_events_person_id", "identity_events", ["person_id"])
    op.create_table(
        "identity_cursors",
        sa.Column("agency", sa.String(40), primary_key=True),
        sa.Column("position", sa.String(200), nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "identity_cursors",
        "identity_events",
        "identity_candidates",
        "identity_decisions",
        "identity_aliases",
        "identity_persons",
        "identity_records",
    ):
        op.drop_table(table)
