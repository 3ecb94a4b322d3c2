"""Add ``cache_invalidations``: cache keys that pollers saw change, for hubs with the in-process cache.

Pollers run in other processes, so they cannot reach a hub process's memory. Each hub
process follows this table and drops the keys from its own cache. Rows hold HMAC keys, not
ID numbers, and pollers delete rows older than an hour.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hub.store.tables import Id, UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cache_invalidations",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("cache_key", sa.String(120), nullable=False),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_cache_invalidations_recorded_at", "cache_invalidations", ["recorded_at"])


def downgrade() -> None:
    op.drop_index("ix_cache_invalidations_recorded_at", table_name="cache_invalidations")
    op.drop_table("cache_invalidations")
