"""The hub store's migrations and locks on SQLite and PostgreSQL, and the Redis lock."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import delete, inspect

from hub.notices import RedisLock, StoreLock
from hub.store import Store, create_engine, current_revision, hub_locks, migrate
from hub.store.migrate import alembic_config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


async def test_migrate_upgrades_a_fresh_database_to_head_and_is_repeatable(store_url: str) -> None:
    assert await current_revision(store_url) is None

    await migrate(store_url)
    await migrate(store_url)

    engine = create_engine(store_url)
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    await engine.dispose()
    assert await current_revision(store_url) == head_revision()
    assert {"notices", "outbox", "delivery_attempts", "poll_watermarks", "hub_locks"} <= tables


async def test_migrations_run_concurrently_leave_one_schema(store_url: str) -> None:
    await asyncio.gather(migrate(store_url), migrate(store_url))

    assert await current_revision(store_url) == head_revision()


async def test_the_default_sqlite_file_is_created_under_its_folder(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'var' / 'nested' / 'hub.sqlite'}"

    await migrate(url)

    assert (tmp_path / "var" / "nested" / "hub.sqlite").exists()


async def test_a_store_lock_admits_one_holder_until_released(store: Store) -> None:
    lock = StoreLock(store)

    async with lock.hold("poll:court") as first:
        async with lock.hold("poll:court") as second:
            assert (first, second) == (True, False)
    async with lock.hold("poll:court") as third:
        assert third


async def test_an_expired_store_lock_can_be_taken_over(store: Store) -> None:
    async with StoreLock(store, ttl_s=0.1, renew=False).hold("poll:court") as first:
        await asyncio.sleep(0.2)
        async with StoreLock(store).hold("poll:court") as second:
            assert first
            assert second


async def test_a_redis_lock_admits_one_holder_and_never_releases_a_successor(
    redis_url: str, tmp_path: Path
) -> None:
    prefix = f"test:{tmp_path.name}:"
    short = RedisLock(redis_url, ttl_s=0.1, prefix=prefix, renew=False)
    normal = RedisLock(redis_url, prefix=prefix)

    async with contextlib.AsyncExitStack() as successor_scope:
        async with short.hold("poll:court") as first:
            async with normal.hold("poll:court") as blocked:
                assert (first, blocked) == (True, False)
            await asyncio.sleep(0.2)
            assert await successor_scope.enter_async_context(normal.hold("poll:court"))
        async with normal.hold("poll:court") as while_successor_holds:
            assert not while_successor_holds
    async with normal.hold("poll:court") as after:
        assert after


async def test_store_lock_renewal_outlives_ttl(store: Store) -> None:
    async with StoreLock(store, ttl_s=0.3).hold("poll:court") as first:
        await asyncio.sleep(0.9)  # three TTLs: only renewal keeps it
        async with StoreLock(store).hold("poll:court") as second:
            assert first
            assert not second
    async with StoreLock(store).hold("poll:court") as after:
        assert after


async def test_redis_lock_renewal_outlives_ttl(redis_url: str, tmp_path: Path) -> None:
    prefix = f"test:{tmp_path.name}:"
    async with RedisLock(redis_url, ttl_s=0.3, prefix=prefix).hold("poll:court") as first:
        await asyncio.sleep(0.9)
        async with RedisLock(redis_url, prefix=prefix).hold("poll:court") as second:
            assert first
            assert not second
    async with RedisLock(redis_url, prefix=prefix).hold("poll:court") as after:
        assert after


async def test_store_lock_abandoned_frees_after_ttl(store: Store) -> None:
    abandoned = StoreLock(store, ttl_s=0.3)
    assert await abandoned._acquire("poll:court", "gone-host:1:abc")  # a holder that was killed

    async with StoreLock(store).hold("poll:court") as too_soon:
        assert not too_soon
    await asyncio.sleep(0.4)
    async with StoreLock(store).hold("poll:court") as later:
        assert later


async def test_lock_lost_stops_renewal_and_logs(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    async with StoreLock(store, ttl_s=0.3).hold("poll:court") as held:
        assert held
        async with store.engine.begin() as conn:
            await conn.execute(delete(hub_locks).where(hub_locks.c.name == "poll:court"))
        await asyncio.sleep(0.25)

    assert "lock poll:court was lost before release" in caplog.text
