"""Mask stored notice names with two stars, as new notices are: ``阿***`` becomes ``阿**``.

Notices written before the mask changed kept one star per hidden character, which gave
the name's length away. This keeps each name's first character and replaces the rest with
two stars. A downgrade cannot restore the lengths, so it leaves the names as they are.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# The mask of adapters.idnumber.mask_name, written out: a migration must not change when
# that function does.
NAME_MASK = "**"


def upgrade() -> None:
    masked = sa.column("person_name_masked", sa.String)
    notices = sa.table("notices", masked)
    two_stars = sa.func.substr(masked, 1, 1) + sa.literal(NAME_MASK)
    op.execute(
        notices.update()
        .where(sa.func.length(masked) > 0, masked != two_stars)
        .values(person_name_masked=two_stars)
    )


def downgrade() -> None:
    return None
