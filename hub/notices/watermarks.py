"""Poll watermarks: the last change number read from each source, moved only by compare-and-set."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.store import Store, dialect_insert, poll_watermarks, utcnow


class WatermarkMoved(Exception):
    """Raised inside a batch's transaction when another poller moved the watermark first."""

    def __init__(self, agency: str, expected: int) -> None:
        self.agency = agency
        self.expected = expected
        super().__init__(f"watermark of {agency} is no longer {expected}")


async def read_watermark(store: Store, agency: str) -> int:
    async with store.read() as conn:
        position = await conn.scalar(
            select(poll_watermarks.c.position).where(poll_watermarks.c.agency == agency)
        )
    return int(position or 0)


async def advance_watermark(
    store: Store, conn: AsyncConnection, agency: str, expected: int, new: int
) -> None:
    """Move ``agency``'s watermark from ``expected`` to ``new`` or raise ``WatermarkMoved``."""
    now = utcnow()
    if expected == 0:
        insert = dialect_insert(store)
        statement = insert(poll_watermarks).values(agency=agency, position=new, updated_at=now)
        result = await conn.execute(
            statement.on_conflict_do_nothing(index_elements=[poll_watermarks.c.agency])
        )
        if result.rowcount == 1:
            return

    result = await conn.execute(
        update(poll_watermarks)
        .where(poll_watermarks.c.agency == agency, poll_watermarks.c.position == expected)
        .values(position=new, updated_at=now)
    )
    if result.rowcount != 1:
        raise WatermarkMoved(agency, expected)
