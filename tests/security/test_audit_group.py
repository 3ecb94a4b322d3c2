"""Group commit of lookup entries: shared transactions, one chain, every caller after its commit."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.audit import CheckpointSigner
from hub.audit_group import AuditGroupWriter
from hub.security_setup import AuditLog
from hub.store.audit_tables import audit_entries
from tests.security.test_audit import EVERY, check, entry


def count_commits(engine: AsyncEngine) -> list[int]:
    commits: list[int] = []
    event.listen(engine.sync_engine, "commit", lambda _conn: commits.append(1))
    return commits


async def test_writer_callers_share_one_transaction(engine: AsyncEngine, signer: CheckpointSigner) -> None:
    writer = AuditGroupWriter(engine, AuditLog(signer, EVERY))
    commits = count_commits(engine)

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
    audit = AuditLog(signer, EVERY)
    writer = AuditGroupWriter(engine, audit)
    calls = 0

    async def broken(self: Any, conn: Any, entries: Any) -> Any:
        nonlocal calls
        calls += 1
        raise RuntimeError("audit store full")

    monkeypatch.setattr(AuditLog, "record_many", broken)
    outcomes = await asyncio.gather(
        *(writer.append([entry(index)]) for index in range(1, 11)), return_exceptions=True
    )
    monkeypatch.undo()

    assert all(isinstance(outcome, RuntimeError) for outcome in outcomes)
    assert 1 <= calls < 10
    assert await writer.append([entry(11)]) == [1]  # the writer recovers; nothing half-written


async def test_writer_empty_append_commits_nothing(engine: AsyncEngine, signer: CheckpointSigner) -> None:
    writer = AuditGroupWriter(engine, AuditLog(signer, EVERY))
    commits = count_commits(engine)

    assert await writer.append([]) == []
    assert commits == []


def test_writer_rejects_zero_group_size(engine: AsyncEngine, signer: CheckpointSigner) -> None:
    with pytest.raises(ValueError, match="max_group"):
        AuditGroupWriter(engine, AuditLog(signer, EVERY), max_group=0)


async def test_writer_cancel_leaves_no_caller_waiting(
    engine: AsyncEngine, signer: CheckpointSigner, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = AuditGroupWriter(engine, AuditLog(signer, EVERY), max_group=1)
    started = asyncio.Event()

    async def slow(self: Any, conn: Any, entries: Any) -> Any:
        started.set()
        await asyncio.sleep(60)

    monkeypatch.setattr(AuditLog, "record_many", slow)
    callers = [asyncio.create_task(writer.append([entry(index)])) for index in range(1, 4)]
    await started.wait()
    assert writer._drainer is not None
    writer._drainer.cancel()

    outcomes = await asyncio.wait_for(asyncio.gather(*callers, return_exceptions=True), timeout=5)

    assert all(isinstance(outcome, asyncio.CancelledError) for outcome in outcomes)
