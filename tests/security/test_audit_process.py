"""The audit child process: groups committed off the serving process, one chain with every other writer.

Each test starts a real child (``python -m hub.audit_process``) on a SQLite file, and
checks the chain with ``verify`` as an auditor would.
"""

from __future__ import annotations

import asyncio
import os
import pickle
import signal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete, select

from hub.audit import CheckpointSigner, append, notice_entry, refused_lookup_entry
from hub.audit_group import DEFAULT_CHILD_GATHER_ROUNDS, AuditGroupWriter
from hub.audit_process import AuditProcess, AuditProcessError, main, pack, unpack
from hub.auth import Role
from hub.security_setup import AuditLog
from hub.store import create_engine, migrate
from hub.store.audit_tables import audit_chain_head, audit_entries
from tests.security.conftest import principal
from tests.security.test_audit import EVERY, check, entry


@pytest.fixture
async def store(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'var' / 'hub.sqlite'}"
    await migrate(url)
    return url


async def test_child_commits_groups_into_one_chain(store: str, signer: CheckpointSigner) -> None:
    engine = create_engine(store)
    writer = AuditGroupWriter(engine, AuditLog(signer, EVERY), child_process=True)
    try:
        assert writer.child is not None
        assert writer.gather_rounds == DEFAULT_CHILD_GATHER_ROUNDS
        results = await asyncio.gather(*(writer.append([entry(index)]) for index in range(1, 31)))
        async with engine.begin() as conn:  # a notice change from this process, between groups
            await append(conn, entry(31), signer=signer, checkpoint_every=EVERY)
        results.append(await writer.append([entry(32), entry(33)]))

        report = await check(engine, signer)
    finally:
        await writer.aclose()
        await engine.dispose()

    sequences = sorted(sequence for result in results for sequence in result)
    assert sequences == [*range(1, 31), 32, 33]
    assert report.ok, report.findings
    assert (report.entries, report.checkpoints) == (33, 6)


async def test_dead_child_is_replaced_before_a_group(store: str, signer: CheckpointSigner) -> None:
    child = AuditProcess(store, AuditLog(signer, EVERY))
    try:
        assert await child.append([entry(1)])
        first = child.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        await asyncio.sleep(0.2)

        appended = await child.append([entry(2)])
    finally:
        await child.aclose()

    assert [item.sequence for item in appended] == [2]
    assert child.pid is None  # closed


async def test_rolled_back_group_fails_and_child_stays(store: str, signer: CheckpointSigner) -> None:
    engine = create_engine(store)
    child = AuditProcess(store, AuditLog(signer, EVERY))
    try:
        await child.start()
        pid = child.pid
        async with engine.begin() as conn:
            await conn.execute(delete(audit_chain_head))  # the child finds no head to lock

        with pytest.raises(AuditProcessError, match="RuntimeError: audit_chain_head has no row"):
            await child.append([entry(1)])
        assert child.pid == pid
    finally:
        await child.aclose()
        await engine.dispose()


async def test_child_exits_when_closed(store: str, signer: CheckpointSigner) -> None:
    child = AuditProcess(store, AuditLog(signer, EVERY))
    await child.start()
    process = child._process
    assert process is not None

    await child.aclose()

    assert process.returncode == 0
    await child.start()  # a closed writer starts a new child on demand
    assert child.pid not in (None, process.pid)
    await child.aclose()


async def test_cancelled_group_leaves_no_stale_reply(store: str, signer: CheckpointSigner) -> None:
    child = AuditProcess(store, AuditLog(signer, EVERY))
    try:
        await child.start()
        pending = asyncio.create_task(child.append([entry(1)]))
        await asyncio.sleep(0)  # sent, no reply yet
        pending.cancel()
        with pytest.raises(asyncio.CancelledError):
            await pending

        appended = await child.append([entry(2)])
    finally:
        await child.aclose()

    # The cancelled group's child was stopped, so its reply cannot be taken for this one.
    assert len(appended) == 1
    assert appended[0].sequence in (1, 2)


def test_in_memory_store_is_rejected(signer: CheckpointSigner) -> None:
    with pytest.raises(ValueError, match="SQLite file"):
        AuditProcess("sqlite+aiosqlite:///:memory:", AuditLog(signer, EVERY))


def test_started_by_hand_prints_usage() -> None:
    with pytest.raises(SystemExit, match="usage: python -m hub.audit_process FD"):
        main([])


def test_packed_entry_round_trips() -> None:
    original = entry(7)
    refused = refused_lookup_entry(
        principal(Role.POLICE_OFFICER),
        "513401200006150016",
        "COUNTY",
        subject_key=b"k" * 16,
        purpose="case_handling",
        case_number=None,
        legal_basis=None,
    )
    changed = notice_entry(None, 12, "PENDING", "DELIVERED", operation="deliver")

    for item in (original, refused, changed):
        assert unpack(pickle.loads(pickle.dumps(pack(item)))) == item
    assert unpack(pack(original)).recorded_at.tzinfo is not None


@pytest.mark.parametrize(("writer", "in_child"), [("process", True), ("thread", False)])
async def test_serving_app_commits_lookups_in_child(writer: str, in_child: bool) -> None:
    from hub.app import create_app
    from hub.settings import Settings
    from tests.perf.fakes import fresh_metrics
    from tests.standins import ID_NUMBER, standins
    from tests.tokens import bearer

    # No collector tuning: it would freeze this test process's objects for good.
    settings = Settings(audit_writer=writer, gc_gen0_threshold=0)
    app = create_app(settings, adapters=standins(), metrics=fresh_metrics(), serving=True)
    audit_writer = app.state.services.lookups._writer
    query = (
        "query($id: String!, $case: String)"
        " { priorRecords(idNumber: $id, purpose: TRIAL, caseNumber: $case) { idNumber } }"
    )
    body = {"query": query, "variables": {"id": ID_NUMBER, "case": "（2026）川3401刑初5号"}}
    async with app.router.lifespan_context(app):
        child = audit_writer.child
        assert (child is not None) is in_child
        if child is not None:
            assert child.pid is not None  # started with the app
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub") as http:
            response = await http.post("/graphql", json=body, headers=bearer(Role.JUDGE))
    engine = create_engine(os.environ["HUB_STORE_URL"])  # the per-test store (tests/conftest.py)
    async with engine.connect() as conn:
        kinds = (await conn.execute(select(audit_entries.c.kind))).scalars().all()
    await engine.dispose()
    assert response.json()["data"]["priorRecords"]["idNumber"] == ID_NUMBER
    assert kinds == ["lookup"]
    if child is not None:
        assert child.pid is None  # the app's shutdown closed it
