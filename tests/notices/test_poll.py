"""poll_court on SQLite and PostgreSQL: one notice per judgment, bad input parked, locks honoured."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import Table, func, select

from adapters.records import CorrectionType, PenaltyType
from hub.notices import PollReport, StoreLock, notice_rows, poll_court
from hub.notices.locks import RedisLock
from hub.notices.poll import newest_notices, skip_history
from hub.store import Store, create_store, notices, outbox
from tests.notices.conftest import CALENDAR, RULES, FakeCourt, judgment_change


async def poll(store: Store, court: FakeCourt, batch_size: int = 100) -> PollReport:
    return await poll_court(
        store, court, lock=StoreLock(store), rules=RULES, calendar=CALENDAR, batch_size=batch_size
    )


async def count(store: Store, table: Table) -> int:
    async with store.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table)) or 0)


class NoLock:
    """A lock everyone gets: shows that uniqueness does not depend on the lock."""

    @asynccontextmanager
    async def hold(self, name: str) -> AsyncIterator[bool]:
        yield True


async def test_poll_creates_one_notice_and_outbox_entry_per_judgment(store: Store) -> None:
    court = FakeCourt([judgment_change(1, 11), judgment_change(2, 12)])

    report = await poll(store, court)
    again = await poll(store, court)

    assert (report.created, report.pending, report.watermark) == (2, 2, 2)
    assert again.created == 0
    assert await count(store, notices) == 2
    assert await count(store, outbox) == 2


async def test_poll_ignores_the_same_judgment_reported_again_under_a_new_sequence(store: Store) -> None:
    court = FakeCourt([judgment_change(1, 11)])
    await poll(store, court)

    court.add(judgment_change(7, 11))
    report = await poll(store, court)

    assert report.created == 0
    assert report.watermark == 7
    assert await count(store, notices) == 1
    assert await count(store, outbox) == 1


async def test_poll_reads_in_batches_and_moves_the_watermark_with_each(store: Store) -> None:
    court = FakeCourt([judgment_change(n, 100 + n) for n in range(1, 8)])

    report = await poll(store, court, batch_size=3)

    assert report.changes == 7
    assert report.watermark == 7
    assert await count(store, notices) == 7


async def test_poll_parks_each_bad_judgment_with_its_reason_and_processes_the_others(store: Store) -> None:
    court = FakeCourt(
        [
            judgment_change(1, 21, effective_date=None),
            judgment_change(2, 22, county="519999"),
            judgment_change(3, 23, parsed=False),
            judgment_change(4, 24),
            judgment_change(5, 25, county=None, effective_date=None),
        ]
    )

    report = await poll(store, court)

    rows = {row["case_number_raw"]: row for row in await notice_rows(store)}
    assert report.needs_attention == 4
    assert report.pending == 1
    assert rows["（2026）川3401刑初21号"]["attention_reason"] == "effective_date_missing"
    assert rows["（2026）川3401刑初22号"]["attention_reason"] == "county_unknown"
    assert rows["川西刑字23?"]["attention_reason"] == "case_number_unparsed"
    assert rows["（2026）川3401刑初25号"]["attention_reason"] == "effective_date_missing,county_unknown"
    assert rows["（2026）川3401刑初24号"]["status"] == "pending"
    assert await count(store, outbox) == 1


async def test_poll_completes_a_parked_notice_when_the_judgment_takes_effect_later(store: Store) -> None:
    court = FakeCourt([judgment_change(1, 31, effective_date=None)])
    await poll(store, court)

    court.add(judgment_change(2, 31))
    report = await poll(store, court)

    [row] = await notice_rows(store)
    assert report.repaired == 1
    assert row["status"] == "pending"
    assert row["attention_reason"] is None
    assert row["notice_due"] is not None
    assert await count(store, outbox) == 1


async def test_poll_routes_deprivation_of_political_rights_alone_to_the_police(store: Store) -> None:
    change = judgment_change(1, 41, correction=None, penalty=PenaltyType.DEPRIVATION_OF_POLITICAL_RIGHTS_ONLY)

    report = await poll(store, FakeCourt([change]))

    [row] = await notice_rows(store)
    assert report.routed_to_police == 1
    assert row["status"] == "routed_to_police"
    assert await count(store, outbox) == 0


async def test_poll_skips_judgments_that_order_no_community_correction(store: Store) -> None:
    prison = judgment_change(1, 51, correction=None)
    surveillance = judgment_change(2, 52, correction=None, penalty=PenaltyType.PUBLIC_SURVEILLANCE)

    report = await poll(store, FakeCourt([prison, surveillance]))

    [row] = await notice_rows(store)
    assert report.watermark == 2
    assert row["correction_type"] == CorrectionType.PUBLIC_SURVEILLANCE.value


async def test_poll_sends_the_retired_huili_county_code_to_the_huili_city_bureau(store: Store) -> None:
    await poll(store, FakeCourt([judgment_change(1, 61, county="513425")]))

    [row] = await notice_rows(store)
    assert (row["county_code"], row["bureau_county_code"]) == ("513425", "513402")


async def test_poll_keeps_only_masked_identity_on_the_notice(store: Store) -> None:
    await poll(store, FakeCourt([judgment_change(1, 71)]))

    [row] = await notice_rows(store)
    assert row["id_number_masked"] == "513401********1234"
    assert row["person_name_masked"] == "阿**"


async def test_two_pollers_started_together_run_once_and_create_no_duplicate(
    store_url: str, store: Store
) -> None:
    court = FakeCourt([judgment_change(n, 200 + n) for n in range(1, 6)], delay_s=0.2)
    first, second = create_store(store_url), create_store(store_url)
    try:
        reports = await asyncio.gather(poll(first, court), poll(second, court))
    finally:
        await first.aclose()
        await second.aclose()

    assert sorted(report.ran for report in reports) == [False, True]
    assert await count(store, notices) == 5


async def test_two_pollers_with_a_redis_lock_run_once(store_url: str, store: Store, redis_url: str) -> None:
    court = FakeCourt([judgment_change(n, 300 + n) for n in range(1, 4)], delay_s=0.2)
    lock = RedisLock(redis_url, prefix=f"test:{id(court)}:")

    reports = await asyncio.gather(
        *(poll_court(store, court, lock=lock, rules=RULES, calendar=CALENDAR) for _ in range(2))
    )

    assert sorted(report.ran for report in reports) == [False, True]
    assert await count(store, notices) == 3


async def test_pollers_without_any_lock_still_create_no_duplicate(store_url: str, store: Store) -> None:
    court = FakeCourt([judgment_change(n, 400 + n) for n in range(1, 6)], delay_s=0.1)
    stores = [create_store(store_url) for _ in range(3)]
    try:
        await asyncio.gather(
            *(poll_court(s, court, lock=NoLock(), rules=RULES, calendar=CALENDAR) for s in stores)
        )
    finally:
        for s in stores:
            await s.aclose()

    assert await count(store, notices) == 5
    assert await count(store, outbox) == 5


async def test_skip_history_starts_after_existing_judgments(store: Store) -> None:
    court = FakeCourt([judgment_change(sequence, 10 + sequence) for sequence in range(1, 6)])

    start = await skip_history(store, court, page=2)
    court.add(judgment_change(9, 99))
    report = await poll(store, court)

    assert start == 5
    assert report.created == 1
    assert report.watermark == 9
    assert await count(store, notices) == 1


async def test_skip_history_leaves_a_polled_court_alone(store: Store) -> None:
    court = FakeCourt([judgment_change(1, 11)])
    await poll(store, court)
    court.add(judgment_change(2, 12))

    start = await skip_history(store, court)
    report = await poll(store, court)

    assert start is None
    assert report.created == 1


async def test_failed_change_hook_keeps_batch(store: Store) -> None:
    court = FakeCourt([judgment_change(1, 11), judgment_change(2, 12)])
    seen: list[int] = []

    async def failing(changes: object) -> None:
        seen.append(await count(store, notices))
        raise RuntimeError("store not writable")

    with pytest.raises(RuntimeError):
        await poll_court(
            store, court, lock=StoreLock(store), rules=RULES, calendar=CALENDAR, on_changes=failing
        )
    after_failure = await count(store, notices)
    report = await poll(store, court)

    assert seen == [0]  # called before the batch's notices committed
    assert after_failure == 0
    assert report.changes == 2
    assert await count(store, notices) == 2


async def test_newest_notices_counts_all_matches(store: Store) -> None:
    await poll(store, FakeCourt([judgment_change(n, 10 + n) for n in (1, 2, 3)]))

    rows, total = await newest_notices(store, limit=2)
    none, zero = await newest_notices(store, bureau_county_code="513437", limit=2)

    assert total == 3
    assert [row["id"] for row in rows] == sorted((row["id"] for row in rows), reverse=True)
    assert len(rows) == 2
    assert "matching" not in rows[0]
    assert (none, zero) == ([], 0)
