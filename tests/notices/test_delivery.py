"""deliver against a real bureau stand-in: retries through faults, duplicates absorbed, nothing dropped."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from adapters.bureau import BureauAdapter, CorrectionNotice
from hub.notices import RetryPolicy, StoreLock, deliver, notice_rows, poll_court
from hub.notices.delivery import DeliveryReport, _claim
from hub.store import Store, create_store, delivery_attempts, outbox
from tests.notices.conftest import CALENDAR, RULES, Bureau, FakeCourt, judgment_change

NO_WAIT = RetryPolicy(base_s=0.0, cap_s=0.0, failing_after=3)


@pytest.fixture
async def adapter(bureau: Bureau) -> AsyncIterator[BureauAdapter]:
    client = BureauAdapter(bureau.url, timeout_s=0.5)
    yield client
    await client.aclose()


async def polled(store: Store, *serials: int, county: str = "513401") -> None:
    court = FakeCourt([judgment_change(n, serial, county=county) for n, serial in enumerate(serials, 1)])
    await poll_court(store, court, lock=StoreLock(store), rules=RULES, calendar=CALENDAR)


async def deliver_once(
    store: Store, adapter: BureauAdapter, policy: RetryPolicy = NO_WAIT, county: str = "513401"
) -> DeliveryReport:
    return await deliver(store, {county: adapter}, rules=RULES, calendar=CALENDAR, policy=policy)


async def attempts_of(store: Store) -> list[str]:
    async with store.engine.connect() as conn:
        return list((await conn.execute(select(delivery_attempts.c.outcome).order_by("id"))).scalars())


async def test_deliver_sends_a_pending_notice_and_records_the_acceptance(
    store: Store, bureau: Bureau, adapter: BureauAdapter
) -> None:
    await polled(store, 11)

    report = await deliver_once(store, adapter)

    [row] = await notice_rows(store)
    [record] = bureau.notices()
    assert report.delivered == 1
    assert row["status"] == "delivered"
    assert row["acceptance_id"] == record["acceptance_id"]
    assert row["receipt_due"] is not None
    assert row["attempts"] == 1
    assert await deliver_once(store, adapter) == DeliveryReport()


async def test_deliver_sends_huili_notices_to_the_513402_bureau(
    store: Store, bureau: Bureau, adapter: BureauAdapter
) -> None:
    await polled(store, 12, county="513425")

    await deliver_once(store, adapter, county="513402")

    [record] = bureau.notices()
    assert record["county_code"] == "513402"
    assert record["payload"]["residenceCountyCode"] == "513425"  # type: ignore[index]


@pytest.mark.parametrize("fault", ["http_500", "timeout", "drop"])
async def test_deliver_retries_through_a_bureau_fault_until_it_succeeds(
    store: Store, bureau: Bureau, adapter: BureauAdapter, fault: str
) -> None:
    await polled(store, 21)
    bureau.configure(fault=fault, fail_next=2)

    reports = [await deliver_once(store, adapter) for _ in range(3)]

    [row] = await notice_rows(store)
    assert [r.delivered for r in reports] == [0, 0, 1]
    assert row["status"] == "delivered"
    assert row["last_error"] is None
    assert await attempts_of(store) == ["failed", "failed", "accepted"]
    assert len(bureau.notices()) == 1


@pytest.mark.parametrize("fault", ["http_500_after_store", "drop_after_store"])
async def test_deliver_absorbs_the_duplicate_when_the_bureau_stored_but_failed_to_answer(
    store: Store, bureau: Bureau, adapter: BureauAdapter, fault: str
) -> None:
    await polled(store, 31)
    bureau.configure(fault=fault, fail_next=1)

    await deliver_once(store, adapter)
    await deliver_once(store, adapter)

    [row] = await notice_rows(store)
    [record] = bureau.notices()
    assert record["deliveries"] == 2
    assert row["status"] == "delivered"
    assert row["acceptance_id"] == record["acceptance_id"]


async def test_a_notice_that_keeps_failing_shows_failing_with_its_last_error_and_stays_queued(
    store: Store, bureau: Bureau, adapter: BureauAdapter
) -> None:
    await polled(store, 41)
    bureau.configure(fault="http_500", fail_next=100)

    for _ in range(4):
        await deliver_once(store, adapter)

    [row] = await notice_rows(store)
    assert row["status"] == "failing"
    assert row["attempts"] == 4
    assert "UPSTREAM_FAULT" in str(row["last_error"])
    async with store.engine.connect() as conn:
        assert await conn.scalar(select(outbox.c.sent_at)) is None

    bureau.configure(fail_next=0)
    await deliver_once(store, adapter)
    [row] = await notice_rows(store)
    assert row["status"] == "delivered"


async def test_deliver_waits_out_the_backoff_before_retrying(
    store: Store, bureau: Bureau, adapter: BureauAdapter
) -> None:
    await polled(store, 42)
    bureau.configure(fault="http_500", fail_next=1)
    slow = RetryPolicy(base_s=3600.0, cap_s=3600.0)

    await deliver_once(store, adapter, slow)
    report = await deliver_once(store, adapter, slow)

    [row] = await notice_rows(store)
    assert report.claimed == 0
    assert row["next_attempt_at"] > dt.datetime.now(dt.UTC)  # type: ignore[operator]


async def test_a_county_without_a_bureau_endpoint_is_recorded_as_a_failure_not_dropped(
    store: Store, adapter: BureauAdapter
) -> None:
    await polled(store, 43, county="513437")

    report = await deliver_once(store, adapter, county="513401")

    [row] = await notice_rows(store)
    assert report.failed == 1
    assert "513437" in str(row["last_error"])
    assert row["status"] == "pending"


async def test_two_deliverers_started_together_send_each_notice_once(
    store_url: str, store: Store, bureau: Bureau
) -> None:
    await polled(store, *range(500, 510))
    bureau.configure(latency_ms=50)
    stores = [create_store(store_url) for _ in range(2)]
    adapters = [BureauAdapter(bureau.url, timeout_s=2.0) for _ in range(2)]
    try:
        reports = await asyncio.gather(
            *(deliver_once(s, a) for s, a in zip(stores, adapters, strict=True)),
        )
    finally:
        for s, a in zip(stores, adapters, strict=True):
            await a.aclose()
            await s.aclose()

    assert sum(r.delivered for r in reports) == 10
    records = bureau.notices()
    assert len(records) == 10
    assert {r["deliveries"] for r in records} == {1}


async def test_a_claim_abandoned_by_a_crashed_deliverer_is_retried_with_the_same_key(
    store: Store, bureau: Bureau, adapter: BureauAdapter
) -> None:
    await polled(store, 61)
    [claim] = await _claim(store, "crashed-deliverer", 10, RetryPolicy(lease_s=0.2))
    notice: CorrectionNotice = claim.payload
    await adapter.deliver_notice(notice, claim.idempotency_key)  # it sent, then died before recording

    assert (await deliver_once(store, adapter)).claimed == 0
    await asyncio.sleep(0.3)
    report = await deliver_once(store, adapter)

    [record] = bureau.notices()
    assert report.delivered == 1
    assert record["deliveries"] == 2
