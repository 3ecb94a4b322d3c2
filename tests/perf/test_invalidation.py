"""Pollers drop cached agency records from a shared Redis when they see a change."""

from __future__ import annotations

import secrets

from pydantic import SecretStr

from adapters.records import Agency
from hub.cache import RecordCache, RedisCache
from hub.cache_invalidation import invalidate_people, people_hook
from hub.settings_perf import PerfSettings
from tests.perf.fakes import PERSON
from tests.standins import RECORDS, person


async def cached_court_records(url: str, secret: bytes) -> RecordCache:
    cache = RecordCache(RedisCache.from_url(url, command_timeout_s=1.0), secret)
    await cache.put(PERSON, RECORDS[Agency.COURT](), 60)
    await cache.put(PERSON, RECORDS[Agency.POLICE](), 60)
    return cache


async def test_invalidation_drops_one_agency_entry(redis_url: str) -> None:
    secret = secrets.token_hex(16)
    cache = await cached_court_records(redis_url, secret.encode())
    settings = PerfSettings(redis_url=redis_url, cache_key_secret=SecretStr(secret))

    dropped = await invalidate_people(Agency.COURT, [PERSON.value, None, "not a number"], settings)

    assert dropped == 1
    assert await cache.get(Agency.COURT, PERSON) is None
    assert await cache.get(Agency.POLICE, PERSON) is not None
    await cache.aclose()


async def test_people_hook_drops_the_page_people(redis_url: str) -> None:
    secret = secrets.token_hex(16)
    cache = await cached_court_records(redis_url, secret.encode())
    await cache.put(PERSON, RECORDS[Agency.PRISON](), 60)
    hook = people_hook(Agency.PRISON, PerfSettings(redis_url=redis_url, cache_key_secret=SecretStr(secret)))

    await hook([person(Agency.PRISON, "阿苏拉哈")])

    assert await cache.get(Agency.PRISON, PERSON) is None
    await cache.aclose()


async def test_invalidation_without_redis_does_nothing() -> None:
    assert await invalidate_people(Agency.COURT, [PERSON.value], PerfSettings(redis_url=None)) == 0
