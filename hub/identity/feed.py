"""Feed the person index from the agencies: ``hub poll <agency>`` runs these.

The police, prison and justice-bureau tables have no change column. ``feed_people`` walks
each one in local-key order from a cursor (``identity_cursors``). A run that reaches the
end sets the cursor back to the start, so the next run sweeps again for new and changed
people. The court reports judgment changes by sequence number, and a party's
local key is the judgment's canonical case number. Every page is one transaction with its
cursor: an interrupted run resumes after the last page it committed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.records import JudgmentChange, PersonIdentity
from hub.identity.entries import IndexEntry, entry_from_identity
from hub.identity.index import ingest, read_cursor, write_cursor
from hub.store import Store

logger = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
CURSOR_PREFIX = "identity:"


class PersonSource(Protocol):
    async def person_changes(self, after: str, limit: int = 500) -> list[PersonIdentity]: ...


class JudgmentSource(Protocol):
    async def judgment_changes(self, after_sequence: int, limit: int = 100) -> list[JudgmentChange]: ...


@dataclass(slots=True)
class FeedReport:
    agency: str
    read: int = 0
    written: int = 0
    position: str = ""
    swept: bool = False  # reached the end of the agency's table (or change list)


async def feed_people(
    store: Store,
    source: PersonSource,
    agency: str,
    *,
    batch_size: int = 500,
    max_batches: int | None = None,
    progress: Progress | None = None,
    on_page: Callable[[Sequence[PersonIdentity]], Awaitable[None]] | None = None,
) -> FeedReport:
    """Index one agency's people from the cursor on, page by page.

    ``on_page`` is called with each page before it commits (``hub.cache_invalidation``).
    """
    cursor = CURSOR_PREFIX + agency
    report = FeedReport(agency, position=await read_cursor(store, cursor))
    batches = 0
    while max_batches is None or batches < max_batches:
        page = await source.person_changes(report.position, batch_size)
        done = len(page) < batch_size
        next_position = "" if done else page[-1].source.local_reference
        # Before the commit, as the court poller does: a failed hook leaves the page unread.
        if on_page is not None and page:
            await on_page(page)
        async with store.engine.begin() as conn:
            report.written += await ingest(store, conn, [entry_from_identity(p) for p in page])
            await write_cursor(store, conn, cursor, next_position)
        report.read += len(page)
        report.position = next_position
        batches += 1
        if progress is not None:
            progress(agency, report.read, 0)
        if done:
            report.swept = True
            break
    logger.info("identity feed agency=%s read=%d swept=%s", agency, report.read, report.swept)
    return report


async def feed_judgments(
    store: Store,
    court: JudgmentSource,
    *,
    batch_size: int = 100,
    max_batches: int | None = None,
    progress: Progress | None = None,
    on_changes: Callable[[Sequence[JudgmentChange]], Awaitable[None]] | None = None,
) -> FeedReport:
    """Index the parties of the court's changed judgments, from the cursor's sequence on."""
    cursor = CURSOR_PREFIX + "court"
    position = await read_cursor(store, cursor)
    report = FeedReport("court", position=position or "0")
    batches = 0
    while max_batches is None or batches < max_batches:
        after = int(report.position or 0)
        changes = [c for c in await court.judgment_changes(after, batch_size) if c.sequence > after]
        if not changes:
            report.swept = True
            break
        async with store.engine.begin() as conn:
            report.written += await index_judgment_changes(store, conn, changes)
            report.position = str(max(change.sequence for change in changes))
            await write_cursor(store, conn, cursor, report.position)
        if on_changes is not None:
            await on_changes(changes)
        report.read += len(changes)
        batches += 1
        if progress is not None:
            progress("court", report.read, 0)
    return report


async def index_judgment_changes(
    store: Store, conn: AsyncConnection, changes: Sequence[JudgmentChange]
) -> int:
    """Index the parties of ``changes`` inside the caller's transaction (``poll court`` may call it)."""
    return await ingest(store, conn, judgment_entries(changes))


def judgment_entries(changes: Sequence[JudgmentChange]) -> list[IndexEntry]:
    return [
        entry_from_identity(change.person, change.judgment.case_number.canonical, "court")
        for change in changes
        if change.person.name
    ]
