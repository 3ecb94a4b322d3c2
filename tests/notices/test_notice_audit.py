"""Every notice state change by ``hub poll``, ``hub deliver`` and ``hub receipts`` is one audit
entry, written in the transaction of the change, and the chain verifies afterwards."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from adapters.bureau import BureauAdapter
from hub.audit_verify import verify
from hub.notices import StoreLock, collect_receipts, deliver, notice_rows, poll_court
from hub.security_setup import AuditLog, audit_log
from hub.store import Store
from hub.store.audit_tables import audit_entries
from tests.notices.conftest import CALENDAR, RULES, Bureau, FakeCourt, judgment_change


@pytest.fixture
def audit(tmp_path: Path) -> AuditLog:
    return audit_log(tmp_path / "audit-key.pem", checkpoint_every=2)


async def transitions(store: Store) -> list[tuple[str, int, str | None, str]]:
    async with store.engine.connect() as conn:
        payloads = (await conn.execute(select(audit_entries.c.payload).order_by("sequence"))).scalars()
        entries = [json.loads(payload)["entry"] for payload in payloads]
    return [(e["operation"], e["notice_id"], e["notice_from"], e["notice_to"]) for e in entries]


async def test_poll_deliver_and_receipts_each_audit_their_changes(
    store: Store, bureau: Bureau, audit: AuditLog
) -> None:
    adapter = BureauAdapter(bureau.url, timeout_s=1.0)
    try:
        court = FakeCourt([judgment_change(1, 11)])
        await poll_court(store, court, lock=StoreLock(store), rules=RULES, calendar=CALENDAR, audit=audit)
        await deliver(store, {"513401": adapter}, rules=RULES, calendar=CALENDAR, audit=audit)
        [record] = bureau.notices()
        bureau.record_receipt(str(record["acceptance_id"]))
        await collect_receipts(store, {bureau.url: adapter}, lock=StoreLock(store), audit=audit)
    finally:
        await adapter.aclose()

    [row] = await notice_rows(store)
    notice_id = int(str(row["id"]))
    assert await transitions(store) == [
        ("poll", notice_id, None, "pending"),
        ("deliver", notice_id, "pending", "delivering"),
        ("deliver", notice_id, "delivering", "delivered"),
        ("receipts", notice_id, "delivered", "received"),
    ]
    report = await verify(store.engine, audit.signer.public_key, checkpoint_every=2)
    assert report.ok


async def test_failing_audit_append_rolls_the_poll_batch_back(
    store: Store, audit: AuditLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(self: Any, conn: Any, entry: Any) -> Any:
        raise RuntimeError("audit store full")

    monkeypatch.setattr(AuditLog, "record", broken)
    court = FakeCourt([judgment_change(1, 11)])

    with pytest.raises(RuntimeError):
        await poll_court(store, court, lock=StoreLock(store), rules=RULES, calendar=CALENDAR, audit=audit)

    assert await notice_rows(store) == []
