"""collect_receipts: officers' receipts flow back from the bureau stand-in and close notices."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from adapters.bureau import BureauAdapter
from hub.notices import RetryPolicy, StoreLock, collect_receipts, deliver, notice_rows, poll_court
from hub.security_setup import AuditLog, audit_log
from hub.store import Store, outbox
from hub.store.audit_tables import audit_entries
from tests.notices.conftest import CALENDAR, RULES, Bureau, FakeCourt, judgment_change


@pytest.fixture
async def adapter(bureau: Bureau) -> AsyncIterator[BureauAdapter]:
    client = BureauAdapter(bureau.url, timeout_s=0.5)
    yield client
    await client.aclose()


async def poll_and_deliver(store: Store, adapter: BureauAdapter, *serials: int) -> None:
    court = FakeCourt([judgment_change(n, serial) for n, serial in enumerate(serials, 1)])
    await poll_court(store, court, lock=StoreLock(store), rules=RULES, calendar=CALENDAR)
    await deliver(store, {"513401": adapter}, rules=RULES, calendar=CALENDAR, policy=RetryPolicy(base_s=0.0))


async def test_a_recorded_receipt_marks_the_notice_received_with_its_time(
    store: Store, bureau: Bureau, adapter: BureauAdapter
) -> None:
    await poll_and_deliver(store, adapter, 11, 12)
    [first, _] = await notice_rows(store)
    bureau.record_receipt(str(first["acceptance_id"]))

    report = await collect_receipts(store, {bureau.url: adapter}, lock=StoreLock(store))
    again = await collect_receipts(store, {bureau.url: adapter}, lock=StoreLock(store))

    rows = await notice_rows(store)
    assert (report.receipts, report.marked_received, again.receipts) == (1, 1, 0)
    assert [row["status"] for row in rows] == ["received", "delivered"]
    assert rows[0]["receipt_at"] is not None


async def test_auto_receipts_of_the_demo_flow_back(
    store: Store, bureau: Bureau, adapter: BureauAdapter
) -> None:
    bureau.configure(auto_receipt_s=0.0)
    await poll_and_deliver(store, adapter, 21)
    await asyncio.sleep(0.5)

    await collect_receipts(store, {bureau.url: adapter}, lock=StoreLock(store))

    [row] = await notice_rows(store)
    assert row["status"] == "received"


async def test_a_receipt_for_a_notice_whose_answer_was_lost_stops_its_retries(
    store: Store, bureau: Bureau, adapter: BureauAdapter
) -> None:
    bureau.configure(fault="http_500_after_store", fail_next=1)
    await poll_and_deliver(store, adapter, 31)
    [record] = bureau.notices()
    bureau.record_receipt(str(record["acceptance_id"]))

    await collect_receipts(store, {bureau.url: adapter}, lock=StoreLock(store))

    [row] = await notice_rows(store)
    assert row["status"] == "received"
    assert row["acceptance_id"] == record["acceptance_id"]
    async with store.engine.connect() as conn:
        assert await conn.scalar(select(outbox.c.sent_at)) is not None


EFFECTIVE = dt.date(2026, 11, 2)  # judgment_change's effective date; reporting due by 2026-11-12


async def reporting_audit(store: Store) -> list[tuple[str, int, str | None, str]]:
    async with store.engine.connect() as conn:
        payloads = (await conn.execute(select(audit_entries.c.payload).order_by("sequence"))).scalars()
        entries = [json.loads(payload)["entry"] for payload in payloads]
    return [
        (e["operation"], e["notice_id"], e["notice_from"], e["notice_to"])
        for e in entries
        if e["operation"] == "receiptReporting"
    ]


async def test_collect_receipts_stores_the_reporting_day_a_receipt_carries(
    store: Store, bureau: Bureau, adapter: BureauAdapter, tmp_path: Path
) -> None:
    audit = audit_log(tmp_path / "audit-key.pem")
    await poll_and_deliver(store, adapter, 41, 42)
    [first, second] = bureau.notices()
    bureau.record_receipt(str(first["acceptance_id"]), reported_on=EFFECTIVE + dt.timedelta(days=7))
    bureau.record_receipt(str(second["acceptance_id"]))

    report = await collect_receipts(store, {bureau.url: adapter}, lock=StoreLock(store), audit=audit)

    rows = await notice_rows(store)
    assert [row["reported_on"] for row in rows] == [dt.date(2026, 11, 9), None]
    assert (report.receipts, report.marked_received, report.reporting_recorded) == (2, 2, 1)
    assert await reporting_audit(store) == [("receiptReporting", rows[0]["id"], "received", "received")]


async def test_collect_receipts_stores_a_later_reporting_record_once(
    store: Store, bureau: Bureau, adapter: BureauAdapter, tmp_path: Path
) -> None:
    audit: AuditLog = audit_log(tmp_path / "audit-key.pem")
    await poll_and_deliver(store, adapter, 51)
    [record] = bureau.notices()
    bureau.record_receipt(str(record["acceptance_id"]))
    await collect_receipts(store, {bureau.url: adapter}, lock=StoreLock(store), audit=audit)

    answer = bureau.record_reporting(dt.date(2026, 11, 14), case_number="（2026）川3401刑初51号")
    bureau.record_reporting(dt.date(2026, 11, 14), acceptance_id=str(record["acceptance_id"]))  # same day
    later = await collect_receipts(store, {bureau.url: adapter}, lock=StoreLock(store), audit=audit)
    again = await collect_receipts(store, {bureau.url: adapter}, lock=StoreLock(store), audit=audit)

    [row] = await notice_rows(store)
    assert answer["reported_on"] == "2026-11-14"
    assert (row["status"], row["reported_on"]) == ("received", dt.date(2026, 11, 14))
    assert (later.receipts, later.reporting_recorded, again.receipts) == (1, 1, 0)
    assert await reporting_audit(store) == [("receiptReporting", row["id"], "received", "received")]


async def test_auto_receipts_report_people_in_one_to_twelve_days_after_the_effective_date(
    store: Store, bureau: Bureau, adapter: BureauAdapter
) -> None:
    bureau.configure(auto_receipt_s=0.0, seed=7)
    await poll_and_deliver(store, adapter, 61, 62, 63, 64)
    await asyncio.sleep(0.5)

    await collect_receipts(store, {bureau.url: adapter}, lock=StoreLock(store))

    days = [(row["reported_on"] - EFFECTIVE).days for row in await notice_rows(store)]  # type: ignore[operator]
    assert all(1 <= n <= 12 for n in days), days
