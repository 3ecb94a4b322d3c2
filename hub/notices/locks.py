"""One poller per agency at a time: a Redis lock in production, a lock row in the embedded store.

Correctness never rests on the lock alone: notices are unique per judgment in the database
and the watermark only moves by compare-and-set, so a poller that lost its lock cannot
create a duplicate. The lock keeps a second poller from doing the same work twice.

A holder renews its lock every third of the time-to-live for as long as it runs, so the TTL
bounds only how long a killed poller blocks the others, not how long a poll may take.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

import redis.asyncio as redis
from sqlalchemy import delete, select, update

from hub.store import Store, dialect_insert, hub_locks, utcnow

logger = logging.getLogger(__name__)

# Time-to-live of a lock in seconds. Renewal keeps a running poll's lock alive, so this is
# how long the lock of a poller killed with SIGKILL blocks the next run.
DEFAULT_TTL_S = 60.0

# Deletes the key only while it still holds this holder's token, so a holder whose lock
# expired and was taken over cannot release the new holder's lock.
_RELEASE_SCRIPT = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""

# Extends the key's expiry only while its value is still this holder's token.
_RENEW_SCRIPT = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""


class PollLock(Protocol):
    """A named lock: ``async with lock.hold(name) as acquired``, False while another process has it."""

    def hold(self, name: str) -> AbstractAsyncContextManager[bool]: ...


def new_token() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


@asynccontextmanager
async def renewing(name: str, ttl_s: float, renew: Callable[[], Awaitable[bool]]) -> AsyncIterator[None]:
    """Call ``renew`` every ``ttl_s / 3`` seconds while the block runs.

    ``renew`` returns False when the lock is no longer this holder's: the loop logs that
    once and stops. A failed renewal (backend down) is logged and tried again next time.
    """

    async def loop() -> None:
        while True:
            await asyncio.sleep(ttl_s / 3)
            try:
                still_held = await renew()
            except Exception as exc:
                logger.warning("lock %s renewal failed: %s; retrying", name, type(exc).__name__)
                continue
            if not still_held:
                logger.warning("lock %s was lost before release: it expired or was taken over", name)
                return

    task = asyncio.create_task(loop(), name=f"renew-lock:{name}")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class RedisLock:
    """``SET key token NX PX ttl``, released by a compare-and-delete script."""

    def __init__(
        self,
        redis_url: str,
        *,
        ttl_s: float = DEFAULT_TTL_S,
        prefix: str = "hub:lock:",
        renew: bool = True,
    ) -> None:
        self.redis_url = redis_url
        self.ttl_s = ttl_s
        self.ttl_ms = int(ttl_s * 1000)
        self.prefix = prefix
        self.renew = renew

    @asynccontextmanager
    async def hold(self, name: str) -> AsyncIterator[bool]:
        client = redis.Redis.from_url(self.redis_url, decode_responses=True)
        key, token = self.prefix + name, new_token()

        async def extend() -> bool:
            return bool(await client.eval(_RENEW_SCRIPT, 1, key, token, self.ttl_ms))

        try:
            acquired = bool(await client.set(key, token, nx=True, px=self.ttl_ms))
            try:
                if acquired and self.renew:
                    async with renewing(name, self.ttl_s, extend):
                        yield acquired
                else:
                    yield acquired
            finally:
                if acquired:
                    released = await client.eval(_RELEASE_SCRIPT, 1, key, token)
                    if not released:
                        logger.warning(
                            "lock %s expired before release; ttl %d ms too short", name, self.ttl_ms
                        )
        finally:
            await client.aclose()


class StoreLock:
    """A row in ``hub_locks`` with an expiry, for the embedded default (works on PostgreSQL too)."""

    def __init__(self, store: Store, *, ttl_s: float = DEFAULT_TTL_S, renew: bool = True) -> None:
        self.store = store
        self.ttl_s = ttl_s
        self.ttl = dt.timedelta(seconds=ttl_s)
        self.renew = renew

    @asynccontextmanager
    async def hold(self, name: str) -> AsyncIterator[bool]:
        token = new_token()

        async def extend() -> bool:
            async with self.store.engine.begin() as conn:
                result = await conn.execute(
                    update(hub_locks)
                    .where(hub_locks.c.name == name, hub_locks.c.owner == token)
                    .values(expires_at=utcnow() + self.ttl)
                )
            return bool(result.rowcount)

        acquired = await self._acquire(name, token)
        try:
            if acquired and self.renew:
                async with renewing(name, self.ttl_s, extend):
                    yield acquired
            else:
                yield acquired
        finally:
            if acquired:
                async with self.store.engine.begin() as conn:
                    await conn.execute(
                        delete(hub_locks).where(hub_locks.c.name == name, hub_locks.c.owner == token)
                    )

    async def _acquire(self, name: str, token: str) -> bool:
        now = utcnow()
        insert = dialect_insert(self.store)
        statement = insert(hub_locks).values(name=name, owner=token, expires_at=now + self.ttl)
        statement = statement.on_conflict_do_update(
            index_elements=[hub_locks.c.name],
            set_={"owner": statement.excluded.owner, "expires_at": statement.excluded.expires_at},
            where=hub_locks.c.expires_at < now,
        )
        async with self.store.engine.begin() as conn:
            await conn.execute(statement)
            owner = await conn.scalar(select(hub_locks.c.owner).where(hub_locks.c.name == name))
        return owner == token


def make_lock(store: Store, redis_url: str | None, *, ttl_s: float = DEFAULT_TTL_S) -> PollLock:
    """Redis when a URL is configured, otherwise the store's lock table."""
    if redis_url:
        return RedisLock(redis_url, ttl_s=ttl_s)
    return StoreLock(store, ttl_s=ttl_s)
