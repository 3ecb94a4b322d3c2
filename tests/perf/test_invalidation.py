"""Pollers drop cached agency records when they see a change: in Redis, or through the store."""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from pydantic import SecretStr
from sqlalchemy import insert, select, text

from adapters.records import Agency
from hub.cache import InProcessCache, RecordCache, RedisCache, cache_key
from hub.cache_invalidation import (
    APPEND_LOCK_KEY,
    RETENTION,
    StoreInvalidations,
    cache_key_secret,
    invalidate_people,
    judgments_hook,
    people_hook,
)
from hub.settings import Settings
from hub.settings_perf import PerfSettings
from hub.store import Store, cache_invalidations, create_store, migrate, utcnow
from tests.perf.fakes import PERSON
from tests.perf.test_wiring import lookup, serve  # noqa: F401 (the fixture)
from tests.standins import RECORDS, StandInAdapter, person, standins

# A valid number the stand-ins hold no records for.
UNRECORDED = "513401199001011230"


async def cached_records(backend: Any, secret: bytes, *agencies: Agency) -> RecordCache:
    cache = RecordCache(backend, secret)
    for agency in agencies:
        await cache.put(PERSON, RECORDS[agency](), 60)
    return cache


async def migrated_store(tmp_path: Path) -> Store:
    url = f"sqlite+aiosqlite:///{tmp_path / 'feed.sqlite'}"
    await migrate(url)
    return create_store(url)


async def stored_keys(store: Store) -> list[str]:
    async with store.read() as conn:
        return list((await conn.scalars(select(cache_invalidations.c.cache_key))).all())


# Redis


async def test_invalidation_drops_one_agency_entry(redis_url: str) -> None:
    secret = secrets.token_hex(16)
    backend = RedisCache.from_url(redis_url, command_timeout_s=1.0)
    cache = await cached_records(backend, secret.encode(), Agency.COURT, Agency.POLICE)
    settings = Settings(redis_url=redis_url, cache_key_secret=SecretStr(secret))

    dropped = await invalidate_people(Agency.COURT, [PERSON.value, None, "not a number"], settings)

    assert dropped == 1
    assert await cache.get(Agency.COURT, PERSON) is None
    assert await cache.get(Agency.POLICE, PERSON) is not None
    await cache.aclose()


async def test_people_hook_drops_the_page_people(redis_url: str) -> None:
    secret = secrets.token_hex(16)
    backend = RedisCache.from_url(redis_url, command_timeout_s=1.0)
    cache = await cached_records(backend, secret.encode(), Agency.PRISON)
    hook = people_hook(Agency.PRISON, Settings(redis_url=redis_url, cache_key_secret=SecretStr(secret)))

    await hook([person(Agency.PRISON, "阿苏拉哈")])

    assert await cache.get(Agency.PRISON, PERSON) is None
    await cache.aclose()


# The store, for hubs with the in-process cache


async def test_without_redis_keys_go_to_the_store(tmp_path: Path) -> None:
    store = await migrated_store(tmp_path)
    settings = Settings(redis_url=None, cache_key_secret=SecretStr("s" * 32))

    dropped = await invalidate_people(Agency.COURT, [PERSON.value, "not a number"], settings, store=store)

    assert dropped == 1
    assert await stored_keys(store) == [cache_key(b"s" * 32, Agency.COURT, PERSON)]
    assert PERSON.value not in (await stored_keys(store))[0]
    await store.aclose()


async def test_follower_drops_only_new_keys(tmp_path: Path) -> None:
    store = await migrated_store(tmp_path)
    settings = Settings(redis_url=None)
    secret = cache_key_secret(settings)
    cache = await cached_records(InProcessCache(), secret, Agency.COURT, Agency.POLICE)
    follower = StoreInvalidations(store, cache, interval_s=60)
    await invalidate_people(Agency.COURT, [PERSON.value], settings, store=store)  # before it started

    first = await follower.catch_up()
    untouched = await cache.get(Agency.COURT, PERSON)
    await judgments_hook(settings, store)([_change()])
    second = await follower.catch_up()

    assert first == 0
    assert untouched is not None
    assert second == 1
    assert await cache.get(Agency.COURT, PERSON) is None
    assert await cache.get(Agency.POLICE, PERSON) is not None
    await store.aclose()


async def test_old_rows_are_deleted_on_append(tmp_path: Path) -> None:
    store = await migrated_store(tmp_path)
    old = utcnow() - RETENTION - dt.timedelta(minutes=1)
    async with store.engine.begin() as conn:
        await conn.execute(insert(cache_invalidations).values(cache_key="hub:records:old", recorded_at=old))

    await invalidate_people(Agency.POLICE, [PERSON.value], Settings(redis_url=None), store=store)

    keys = await stored_keys(store)
    assert "hub:records:old" not in keys
    assert len(keys) == 1
    await store.aclose()


def test_derived_secret_shared_explicit_wins(tmp_path: Path) -> None:
    key_file = tmp_path / "subject-key"
    first = cache_key_secret(Settings(audit_subject_key_file=key_file))
    second = cache_key_secret(Settings(audit_subject_key_file=key_file))
    explicit = cache_key_secret(
        Settings(audit_subject_key_file=key_file, cache_key_secret=SecretStr("e" * 32))
    )

    assert first == second
    assert first != key_file.read_bytes().strip()
    assert explicit == b"e" * 32


def test_poller_invalidation_reaches_serving_hub(serve: Any) -> None:  # noqa: F811
    """A hub with the in-process cache calls the court again once a poller elsewhere saw a change."""
    court = StandInAdapter(Agency.COURT)
    url = serve(standins(court=court), PerfSettings(redis_url=None, cache_invalidation_poll_s=0.05))
    # Someone with no records: the sealing veto lets the cache keep empty responses.
    lookup(url, UNRECORDED)
    lookup(url, UNRECORDED)
    cached_calls = len(court.calls)

    asyncio.run(invalidate_people(Agency.COURT, [UNRECORDED], Settings()))
    deadline = time.monotonic() + 5
    while len(court.calls) == cached_calls and time.monotonic() < deadline:
        time.sleep(0.05)
        lookup(url, UNRECORDED)

    assert cached_calls == 1
    assert len(court.calls) == 2


def _change() -> Any:
    """A judgment change as the court hook reads it: only the party matters."""
    return SimpleNamespace(person=person(Agency.COURT, "阿苏拉哈"))


async def test_appenders_commit_in_id_order_on_postgresql(postgres_url: str) -> None:
    """A follower past a later id would never read an earlier row committed after it."""
    await migrate(postgres_url)
    store = create_store(postgres_url)
    settings = Settings(redis_url=None, cache_key_secret=SecretStr("s" * 32))
    cache = await cached_records(InProcessCache(), b"s" * 32, Agency.COURT)
    follower = StoreInvalidations(store, cache, interval_s=60)
    await follower.catch_up()
    try:
        async with store.engine.connect() as first:
            transaction = await first.begin()
            # Another appender mid-way: it holds the appenders' lock and has its row's id.
            await first.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPEND_LOCK_KEY})
            await first.execute(
                insert(cache_invalidations).values(cache_key="hub:records:first", recorded_at=utcnow())
            )
            second = asyncio.create_task(
                invalidate_people(Agency.COURT, [PERSON.value], settings, store=store)
            )
            await asyncio.sleep(0.3)
            waited = not second.done()
            seen_meanwhile = await follower.catch_up()
            await transaction.commit()
        await second
        seen_after = await follower.catch_up()
    finally:
        await store.aclose()

    assert waited
    assert seen_meanwhile == 0
    assert seen_after == 2
    assert await cache.get(Agency.COURT, PERSON) is None
