"""Add ``notices.reported_on``: the day the person reported in to the correction office.

Community Correction Law art. 21 gives ten days from the judgment taking effect; the bureau
reports the day with its receipts, or an officer records it with ``recordReporting``.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Batch mode, as env.py sets: SQLite before 3.35 cannot drop a column, so it copies the table.
    with op.batch_alter_table("notices") as batch:
        batch.add_column(sa.Column("reported_on", sa.Date, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notices") as batch:
        batch.drop_column("reported_on")
