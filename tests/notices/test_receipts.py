"""collect_receipts: officers' receipts flow back from the bureau stand-in and close notices."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from adapters.bureau import BureauAdapter
from hub.notices import RetryPolicy, StoreLock, collect_receipts, deliver, notice_rows, poll_court
from hub.store import Store, outbox
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
