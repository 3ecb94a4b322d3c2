"""Group commit of lookup entries: shared transactions, one chain, every caller after its commit."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.audit import CheckpointSigner
from hub.audit_group import AuditGroupWriter
from hub.security_setup import AuditLog
from hub.store.audit_tables import audit_entries
from tests.security.test_audit import EVERY, check, entry


def count_commits(writer: AuditGroupWriter) -> list[int]:
    """Count the commits of the engine the writer commits through (its own on a SQLite file)."""
    commits: list[int] = []
    target = writer.blocking_engine or writer.engine.sync_engine
    event.listen(target, "commit", lambda _conn: commits.append(1))
    return commits


def replace_writes(
    monkeypatch: pytest.MonkeyPatch, awaited: Callable[[], Awaitable[Any]], blocking: Callable[[], Any]
) -> None:
    """Make appends run ``awaited`` (through aiosqlite or asyncpg) or ``blocking`` (the writer's thread)."""

    async def record_many(self: AuditLog, conn: Any, entries: Any) -> Any:
        return await awaited()

    monkeypatch.setattr(AuditLog, "record_many", record_many)
    monkeypatch.setattr(AuditLog, "record_many_blocking", lambda self, conn, entries: blocking())


async def test_writer_callers_share_one_transaction(engine: AsyncEngine, signer: CheckpointSigner) -> None:
    writer = AuditGroupWriter(engine, AuditLog(signer, EVERY))
    commits = count_commits(writer)

    answers = await asyncio.gather(*(writer.append([entry(index)]) for index in range(1, 41)))

    sequences = [sequence for answer in answers for sequence in answer]
    assert sorted(sequences) == list(range(1, 41))
    assert len(commits) == 1  # all forty were waiting before the first transaction began
    report = await check(engine, signer)
    assert report.ok, report.findings
    assert (report.entries, report.checkpoints) == (40, 8)


async def test_writer_caller_resumes_after_commit(engine: AsyncEngine, signer: CheckpointSigner) -> None:
    writer = AuditGroupWriter(engine, AuditLog(signer, EVERY))

    async def append_then_count(index: int) -> tuple[list[int], int]:
        sequences = await writer.append([entry(index)])
        async with engine.connect() as conn:  # a separate connection reads only committed rows
            seen = await conn.scalar(
                select(func.count()).select_from(audit_entries).where(audit_entries.c.sequence.in_(sequences))
            )
        return sequences, int(seen or 0)

    results = await asyncio.gather(*(append_then_count(index) for index in range(1, 21)))

    assert all(seen == len(sequences) for sequences, seen in results)


async def test_writer_keeps_caller_entries_together(engine: AsyncEngine, signer: CheckpointSigner) -> None:
    writer = AuditGroupWriter(engine, AuditLog(signer, EVERY), max_group=4)

    batches = [[entry(10 * n + k) for k in range(1, 4)] for n in range(1, 6)]
    answers = await asyncio.gather(*(writer.append(batch) for batch in batches))

    for answer in answers:
        assert answer == list(range(answer[0], answer[0] + 3))  # contiguous: one transaction each
    async with engine.connect() as conn:
        rows = (await conn.execute(select(audit_entries.c.sequence, audit_entries.c.case_number))).all()
    case_of = dict(rows)
    for batch, answer in zip(batches, answers, strict=True):
        assert [case_of[sequence] for sequence in answer] == [e.case_number for e in batch]


async def test_writer_failure_fails_every_caller(
    engine: AsyncEngine, signer: CheckpointSigner, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = AuditGroupWriter(engine, AuditLog(signer, EVERY))
    calls = 0

    def broken() -> Any:
        nonlocal calls
        calls += 1
        raise RuntimeError("audit store full")

    async def broken_awaited() -> Any:
        return broken()

    replace_writes(monkeypatch, broken_awaited, broken)
    outcomes = await asyncio.gather(
        *(writer.append([entry(index)]) for index in range(1, 11)), return_exceptions=True
    )
    monkeypatch.undo()

    assert all(isinstance(outcome, RuntimeError) for outcome in outcomes)
    assert 1 <= calls < 10
    assert await writer.append([entry(11)]) == [1]  # the writer recovers; nothing half-written


async def test_writer_empty_append_commits_nothing(engine: AsyncEngine, signer: CheckpointSigner) -> None:
    writer = AuditGroupWriter(engine, AuditLog(signer, EVERY))
    commits = count_commits(writer)

    assert await writer.append([]) == []
    assert commits == []


@pytest.mark.parametrize(("gather_rounds", "commits_expected"), [(3, 1), (0, 2)])
async def test_writer_gathers_later_appends(
    engine: AsyncEngine, signer: CheckpointSigner, gather_rounds: int, commits_expected: int
) -> None:
    writer = AuditGroupWriter(engine, AuditLog(signer, EVERY), gather_rounds=gather_rounds)
    commits = count_commits(writer)

    async def append_later(index: int, rounds: int) -> list[int]:
        for _ in range(rounds):
            await asyncio.sleep(0)
        return await writer.append([entry(index)])

    # The second caller appends two loop rounds after the first, within three rounds.
    answers = await asyncio.gather(append_later(1, 0), append_later(2, 2))

    assert answers == [[1], [2]]
    assert len(commits) == commits_expected


def test_writer_rejects_negative_gather(engine: AsyncEngine, signer: CheckpointSigner) -> None:
    with pytest.raises(ValueError, match="gather_rounds"):
        AuditGroupWriter(engine, AuditLog(signer, EVERY), gather_rounds=-1)


def test_writer_rejects_zero_group_size(engine: AsyncEngine, signer: CheckpointSigner) -> None:
    with pytest.raises(ValueError, match="max_group"):
        AuditGroupWriter(engine, AuditLog(signer, EVERY), max_group=0)


async def test_writer_cancel_leaves_no_caller_waiting(
    engine: AsyncEngine, signer: CheckpointSigner, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = AuditGroupWriter(engine, AuditLog(signer, EVERY), max_group=1)
    started = asyncio.Event()
    released = threading.Event()
    loop = asyncio.get_running_loop()

    async def slow() -> Any:
        started.set()
        await asyncio.sleep(60)

    def stalled() -> Any:
        loop.call_soon_threadsafe(started.set)
        released.wait(10)
        raise RuntimeError("released")

    replace_writes(monkeypatch, slow, stalled)
    callers = [asyncio.create_task(writer.append([entry(index)])) for index in range(1, 4)]
    await started.wait()
    assert writer._drainer is not None
    writer._drainer.cancel()

    try:
        outcomes = await asyncio.wait_for(asyncio.gather(*callers, return_exceptions=True), timeout=5)
    finally:
        released.set()
        await writer.aclose()

    assert all(isinstance(outcome, asyncio.CancelledError) for outcome in outcomes)


async def test_writer_shares_chain_with_other_transactions(
    engine: AsyncEngine, signer: CheckpointSigner
) -> None:
    """The writer's lookup entries and notice entries from other transactions share one chain."""
    audit = AuditLog(signer, EVERY)
    writer = AuditGroupWriter(engine, audit)

    async def notice_change(index: int) -> None:
        async with engine.begin() as conn:
            await audit.record(conn, entry(index))

    try:
        await asyncio.gather(
            *(writer.append([entry(index)]) for index in range(1, 31)),
            *(notice_change(index) for index in range(31, 41)),
        )
    finally:
        await writer.aclose()

    # Its own connection only on a SQLite file; PostgreSQL's driver needs no thread.
    assert (writer.blocking_engine is not None) == (engine.dialect.name == "sqlite")
    report = await check(engine, signer)
    assert report.ok, report.findings
    assert report.entries == 40


async def test_writer_close_commits_queued_first(engine: AsyncEngine, signer: CheckpointSigner) -> None:
    writer = AuditGroupWriter(engine, AuditLog(signer, EVERY), max_group=1)

    callers = [asyncio.create_task(writer.append([entry(index)])) for index in range(1, 6)]
    await asyncio.sleep(0)  # the callers have queued their entries
    await writer.aclose()

    assert [caller.result() for caller in callers] == [[1], [2], [3], [4], [5]]
    if writer.blocking_engine is not None:
        assert writer.blocking_engine.pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_writer_works_again_after_close(engine: AsyncEngine, signer: CheckpointSigner) -> None:
    """The app's lifespan may run twice, closing the writer in between."""
    writer = AuditGroupWriter(engine, AuditLog(signer, EVERY))

    first = await writer.append([entry(1)])
    await writer.aclose()
    second = await writer.append([entry(2)])
    await writer.aclose()
    await writer.aclose()

    assert (first, second) == ([1], [2])
    report = await check(engine, signer)
    assert report.ok, report.findings
