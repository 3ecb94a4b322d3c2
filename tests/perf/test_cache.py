"""The records cache over both backends: hits, misses, expiry, single flight, veto, invalidation."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import AsyncIterator

import pytest

from adapters.errors import UpstreamTimeout
from adapters.idnumber import IdNumber
from adapters.records import Agency, AgencyRecords
from hub import cache as cache_module
from hub.cache import Cache, CachingAdapter, InProcessCache, RecordCache, RedisCache
from hub.records import FetchStatus, PriorRecordService
from tests.perf.fakes import PERSON, FakeClock, fresh_metrics, sample
from tests.standins import ID_NUMBER, RECORDS, StandInAdapter


@pytest.fixture(params=["memory", "redis"])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Cache]:
    if request.param == "memory":
        yield InProcessCache()
        return
    url = request.getfixturevalue("redis_url")
    cache = RedisCache.from_url(url, command_timeout_s=1.0)
    yield cache
    await cache.aclose()


def content(records: AgencyRecords | None) -> AgencyRecords | None:
    """The records without the time the cache dates them with, to compare with fresh ones."""
    return None if records is None else dataclasses.replace(records, fetched_at=None)


def court_stack(
    backend: Cache, ttl_s: float = 60.0, delay_s: float = 0.0
) -> tuple[CachingAdapter, StandInAdapter]:
    inner = StandInAdapter(Agency.COURT, delay_s=delay_s)
    return CachingAdapter(inner, RecordCache(backend, metrics=fresh_metrics()), ttl_s), inner


async def test_backend_returns_what_was_set(backend: Cache) -> None:
    await backend.set("hub:test:a", b"value", 5)

    assert await backend.get("hub:test:a") == b"value"
    await backend.delete("hub:test:a")
    assert await backend.get("hub:test:a") is None


async def test_backend_forgets_after_ttl(backend: Cache) -> None:
    await backend.set("hub:test:ttl", b"value", 0.05)
    await asyncio.sleep(0.1)

    assert await backend.get("hub:test:ttl") is None


async def test_second_lookup_is_a_hit(backend: Cache) -> None:
    adapter, inner = court_stack(backend)

    first = await adapter.fetch_records(PERSON)
    second = await adapter.fetch_records(PERSON)

    assert first == RECORDS[Agency.COURT]()
    assert first.fetched_at is None  # fetched just now
    assert second.fetched_at is not None  # from the cache, dated when the court gave it
    assert dataclasses.replace(second, fetched_at=None) == first
    assert len(inner.calls) == 1
    metrics = adapter.cache.metrics
    assert sample(metrics, "hub_cache_lookups_total", agency="court", result="hit") == 1
    assert sample(metrics, "hub_cache_lookups_total", agency="court", result="miss") == 1


async def test_entry_expires_after_ttl(backend: Cache) -> None:
    adapter, inner = court_stack(backend, ttl_s=0.05)

    await adapter.fetch_records(PERSON)
    await asyncio.sleep(0.1)
    await adapter.fetch_records(PERSON)

    assert len(inner.calls) == 2


async def test_hundred_concurrent_misses_make_one_call(backend: Cache) -> None:
    adapter, inner = court_stack(backend, delay_s=0.05)

    answers = await asyncio.gather(*(adapter.fetch_records(PERSON) for _ in range(100)))

    assert len(inner.calls) == 1
    assert all(answer == RECORDS[Agency.COURT]() for answer in answers)


async def test_caller_giving_up_leaves_the_fill_to_others(backend: Cache) -> None:
    adapter, inner = court_stack(backend, delay_s=0.05)

    leader = asyncio.create_task(adapter.fetch_records(PERSON))
    await asyncio.sleep(0.01)
    follower = asyncio.create_task(adapter.fetch_records(PERSON))
    await asyncio.sleep(0.01)
    leader.cancel()

    assert await follower == RECORDS[Agency.COURT]()
    assert len(inner.calls) == 1


async def test_errors_are_not_cached(backend: Cache) -> None:
    adapter, inner = court_stack(backend)
    inner.error = UpstreamTimeout(agency="court", operation="fetch_records", timeout_s=1)

    with pytest.raises(UpstreamTimeout):
        await adapter.fetch_records(PERSON)
    inner.error = None
    records = await adapter.fetch_records(PERSON)

    assert records.judgments
    assert len(inner.calls) == 2


async def test_veto_keeps_records_out_of_the_cache(backend: Cache) -> None:
    def no_judgments(id_number: IdNumber, records: AgencyRecords) -> bool:
        return not records.judgments

    inner = StandInAdapter(Agency.COURT)
    cache = RecordCache(backend, is_cacheable=no_judgments, metrics=fresh_metrics())
    adapter = CachingAdapter(inner, cache, 60)

    await adapter.fetch_records(PERSON)
    await adapter.fetch_records(PERSON)

    assert len(inner.calls) == 2
    assert sample(cache.metrics, "hub_cache_lookups_total", agency="court", result="uncacheable") == 2


async def test_invalidate_drops_one_agency_entry(backend: Cache) -> None:
    cache = RecordCache(backend, metrics=fresh_metrics())
    court, police = StandInAdapter(Agency.COURT), StandInAdapter(Agency.POLICE)
    cached_court, cached_police = CachingAdapter(court, cache, 60), CachingAdapter(police, cache, 60)
    await cached_court.fetch_records(PERSON)
    await cached_police.fetch_records(PERSON)

    await cache.invalidate(Agency.COURT, PERSON)
    await cached_court.fetch_records(PERSON)
    await cached_police.fetch_records(PERSON)

    assert (len(court.calls), len(police.calls)) == (2, 1)


async def test_zero_ttl_never_caches(backend: Cache) -> None:
    adapter, inner = court_stack(backend, ttl_s=0)

    await adapter.fetch_records(PERSON)
    await adapter.fetch_records(PERSON)

    assert len(inner.calls) == 2


def test_key_hides_the_id_number() -> None:
    cache = RecordCache(InProcessCache(), b"secret")

    key = cache.key(Agency.COURT, PERSON)

    assert ID_NUMBER not in key
    assert ID_NUMBER[-8:] not in key
    assert key.startswith("hub:records:")
    assert ":court:" in key
    assert key != RecordCache(InProcessCache(), b"other").key(Agency.COURT, PERSON)
    assert key == RecordCache(InProcessCache(), b"secret").key(Agency.COURT, PERSON)


async def test_in_process_cache_evicts_least_recently_used() -> None:
    cache = InProcessCache(max_entries=2)
    await cache.set("a", b"1", 60)
    await cache.set("b", b"2", 60)
    await cache.get("a")
    await cache.set("c", b"3", 60)

    assert await cache.get("b") is None
    assert await cache.get("a") == b"1"
    assert len(cache) == 2


async def test_in_process_cache_expires_by_its_clock() -> None:
    clock = FakeClock()
    cache = InProcessCache(clock=clock)
    await cache.set("a", b"1", 10)

    clock.advance(9.9)
    assert await cache.get("a") == b"1"
    clock.advance(0.2)
    assert await cache.get("a") is None


async def test_fill_lock_lets_one_replica_call(redis_url: str) -> None:
    """Two hub processes sharing Redis: the second waits for the first one's entry."""
    first_backend = RedisCache.from_url(redis_url, command_timeout_s=1.0)
    second_backend = RedisCache.from_url(redis_url, command_timeout_s=1.0)
    first_inner = StandInAdapter(Agency.COURT, delay_s=0.1)
    second_inner = StandInAdapter(Agency.COURT, delay_s=0.1)
    replicas = [
        CachingAdapter(inner, RecordCache(backend, b"shared", metrics=fresh_metrics()), 5, fill_lock_s=1.0)
        for inner, backend in ((first_inner, first_backend), (second_inner, second_backend))
    ]
    await replicas[0].cache.invalidate(Agency.COURT, PERSON)
    try:
        first = asyncio.create_task(replicas[0].fetch_records(PERSON))
        await asyncio.sleep(0.02)
        second = await replicas[1].fetch_records(PERSON)

        assert content(second) == content(await first)
        assert (len(first_inner.calls), len(second_inner.calls)) == (1, 0)
    finally:
        await replicas[0].cache.invalidate(Agency.COURT, PERSON)
        await first_backend.aclose()
        await second_backend.aclose()


async def test_hits_decode_the_same_bytes_once(backend: Cache, monkeypatch: pytest.MonkeyPatch) -> None:
    adapter, _ = court_stack(backend)
    await adapter.fetch_records(PERSON)
    decodes = 0
    real_decode = cache_module.decode_records

    def counting(data: bytes) -> AgencyRecords:
        nonlocal decodes
        decodes += 1
        return real_decode(data)

    monkeypatch.setattr(cache_module, "decode_records", counting)
    first = await adapter.fetch_records(PERSON)
    second = await adapter.fetch_records(PERSON)

    assert decodes == 1
    assert content(first) == content(second) == RECORDS[Agency.COURT]()
    first.judgments.clear()  # each hit owns its lists: changing one leaves the next intact
    assert content(await adapter.fetch_records(PERSON)) == RECORDS[Agency.COURT]()


async def test_decoded_memory_is_bounded() -> None:
    cache = RecordCache(InProcessCache(), metrics=fresh_metrics(), decoded_entries=2)
    agencies = [Agency.COURT, Agency.POLICE, Agency.PRISON]
    for agency in agencies:
        await cache.put(PERSON, RECORDS[agency](), 60)
        assert content(await cache.get(agency, PERSON)) == RECORDS[agency]()

    assert [records.agency for records in cache._decoded.values()] == agencies[1:]
    assert content(await cache.get(Agency.COURT, PERSON)) == RECORDS[Agency.COURT]()  # decoded afresh


async def test_cached_answers_at_once_only_from_memory(backend: Cache) -> None:
    """``cached`` returns an in-process hit without awaiting; for Redis it always defers to ``get``."""
    adapter, _ = court_stack(backend)
    assert adapter.cached(PERSON) is None

    await adapter.fetch_records(PERSON)

    hit = adapter.cached(PERSON)
    if isinstance(backend, InProcessCache):
        assert content(hit) == RECORDS[Agency.COURT]()
        assert sample(adapter.cache.metrics, "hub_cache_lookups_total", agency="court", result="hit") == 1
    else:
        assert hit is None


async def test_fan_out_of_memory_hits_starts_no_task(monkeypatch: pytest.MonkeyPatch) -> None:
    """A lookup whose records are all cached in the process completes without a task or a fill."""
    backend = InProcessCache()
    stacks = [court_stack(backend)] + [
        (CachingAdapter(inner, RecordCache(backend, metrics=fresh_metrics()), 60.0), inner)
        for inner in (StandInAdapter(agency) for agency in (Agency.POLICE, Agency.PRISON))
    ]
    service = PriorRecordService([adapter for adapter, _ in stacks], {agency: 1.0 for agency in Agency})
    first = await service.lookup(PERSON)
    started: list[object] = []
    real_ensure_future = asyncio.ensure_future
    monkeypatch.setattr(
        asyncio, "ensure_future", lambda coro: started.append(coro) or real_ensure_future(coro)
    )

    second = await service.lookup(PERSON)

    assert started == []
    assert [len(inner.calls) for _, inner in stacks] == [1, 1, 1]
    assert second.criminal_records == first.criminal_records
    assert [source.status for source in second.sources] == [FetchStatus.OK] * 3


async def test_cached_part_keeps_fetch_time(backend: Cache) -> None:
    """A lookup from the cache reports when its part was fetched, not when the cache was read."""
    adapter, _ = court_stack(backend)
    service = PriorRecordService([adapter], {Agency.COURT: 1.0})

    first = (await service.lookup(PERSON)).sources[0]
    await asyncio.sleep(0.05)
    before_second = dt.datetime.now(dt.UTC)
    second = (await service.lookup(PERSON)).sources[0]

    assert (first.status, first.cached) == (FetchStatus.OK, False)
    assert (second.status, second.cached) == (FetchStatus.OK, True)
    assert second.fetched_at < before_second - dt.timedelta(seconds=0.04)
    assert abs(second.fetched_at - first.fetched_at) < dt.timedelta(seconds=0.04)
