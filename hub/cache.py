"""The records cache: one small interface, a Redis and an in-process backend, and an adapter.

``CachingAdapter`` wraps any ``RecordAdapter``. Keys name the agency and an HMAC of the
resident ID number, never the number itself, so a dump of Redis shows no one's number.
Concurrent misses for one key make one upstream call (per process; ``fill_lock_s`` adds
a short Redis lock across replicas). When the backend fails, lookups go to the agency
directly: slower, never failing, with one WARNING per ``warn_interval_s``.

Sealed records must never be cached (2022 sealing measures): ``RecordCache.is_cacheable``
is the veto, called on every answer before it is stored.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import functools
import hashlib
import hmac
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from adapters.contract import RecordAdapter
from adapters.idnumber import IdNumber
from adapters.records import Agency, AgencyRecords
from hub.cache_codec import SHAPE, CacheDecodeError, decode_records, encode_records
from hub.metrics import METRICS, BatchCall, HubMetrics, KeysCall

logger = logging.getLogger(__name__)

KEY_PREFIX = "hub:records"
LOCK_POLL_S = 0.025

Clock = Callable[[], float]


Veto = Callable[[IdNumber, AgencyRecords], bool]


def always_cacheable(id_number: IdNumber, records: AgencyRecords) -> bool:
    return True


class CacheUnavailable(Exception):
    """Raised by a backend that cannot answer now; callers fall through to the agency."""


class Cache(Protocol):
    """Bytes by key with a time-to-live in seconds; raises ``CacheUnavailable`` when down."""

    async def get(self, key: str) -> bytes | None: ...

    async def set(self, key: str, value: bytes, ttl_s: float) -> None: ...

    async def delete(self, key: str) -> None: ...

    async def try_lock(self, key: str, ttl_s: float) -> str | None:
        """Return a token when this caller now holds ``key``'s lock, else None."""
        ...

    async def unlock(self, key: str, token: str) -> None: ...

    async def aclose(self) -> None: ...


class InProcessCache:
    """A bounded LRU with per-entry expiry, for the embedded default and tests."""

    def __init__(self, max_entries: int = 10_000, *, clock: Clock = time.monotonic) -> None:
        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1, got {max_entries}")
        self.max_entries = max_entries
        self.clock = clock
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    async def get(self, key: str) -> bytes | None:
        return self.get_now(key)

    def get_now(self, key: str) -> bytes | None:
        """Return what ``get`` returns, without awaiting.

        This backend does no I/O, so a lookup that calls this can skip a task.
        """
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires_at, value = entry
        if self.clock() >= expires_at:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return value

    async def set(self, key: str, value: bytes, ttl_s: float) -> None:
        self._entries[key] = (self.clock() + ttl_s, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    async def delete(self, key: str) -> None:
        self._entries.pop(key, None)

    async def try_lock(self, key: str, ttl_s: float) -> str | None:
        # One process: single-flight in CachingAdapter already makes one call per key.
        return "local"

    async def unlock(self, key: str, token: str) -> None:
        return None

    async def aclose(self) -> None:
        self._entries.clear()


# Deletes the lock only while it still holds this caller's token.
_UNLOCK = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


class RedisCache:
    """Redis through ``redis.asyncio``, every command bounded by ``command_timeout_s``.

    After a failure the backend is skipped for ``retry_after_s`` so that a dead Redis costs
    lookups nothing but the first timeout. A command cancelled between send and read must
    not leave its pooled connection a reply behind (redis-py issues 2624 and 2665):
    tests/perf/test_cache_redis.py checks every key still maps to its own value.
    """

    def __init__(
        self,
        client: redis.Redis,
        *,
        command_timeout_s: float = 0.05,
        retry_after_s: float = 1.0,
        clock: Clock = time.monotonic,
    ) -> None:
        self.client = client
        self.command_timeout_s = command_timeout_s
        self.retry_after_s = retry_after_s
        self.clock = clock
        self._down_until = 0.0

    @classmethod
    def from_url(cls, url: str, *, command_timeout_s: float = 0.05, retry_after_s: float = 1.0) -> RedisCache:
        # No client-side retries: a retry would multiply the wait the timeout bounds.
        client = redis.Redis.from_url(
            url,
            socket_timeout=command_timeout_s,
            socket_connect_timeout=command_timeout_s,
            retry=Retry(NoBackoff(), 0),
        )
        return cls(client, command_timeout_s=command_timeout_s, retry_after_s=retry_after_s)

    async def get(self, key: str) -> bytes | None:
        value = await self._run(lambda: self.client.get(key))
        return value if isinstance(value, bytes) else None

    async def set(self, key: str, value: bytes, ttl_s: float) -> None:
        await self._run(lambda: self.client.set(key, value, px=_milliseconds(ttl_s)))

    async def delete(self, key: str) -> None:
        await self._run(lambda: self.client.delete(key))

    async def try_lock(self, key: str, ttl_s: float) -> str | None:
        token = secrets.token_hex(8)
        acquired = await self._run(
            lambda: self.client.set(f"{key}:lock", token, nx=True, px=_milliseconds(ttl_s))
        )
        return token if acquired else None

    async def unlock(self, key: str, token: str) -> None:
        await self._run(lambda: self.client.eval(_UNLOCK, 1, f"{key}:lock", token))

    async def aclose(self) -> None:
        await self.client.aclose()

    async def _run(self, command: Callable[[], Awaitable[object]]) -> object:
        if self.clock() < self._down_until:
            raise CacheUnavailable("skipped: Redis failed recently")
        try:
            async with asyncio.timeout(self.command_timeout_s):
                return await command()
        except (RedisError, OSError, TimeoutError) as exc:
            self._down_until = self.clock() + self.retry_after_s
            raise CacheUnavailable(type(exc).__name__) from exc


def _milliseconds(seconds: float) -> int:
    return max(1, int(seconds * 1000))


def make_cache(redis_url: str | None, *, max_entries: int, command_timeout_s: float) -> Cache:
    """Redis when ``redis_url`` is set, else the in-process LRU."""
    if redis_url:
        return RedisCache.from_url(redis_url, command_timeout_s=command_timeout_s)
    return InProcessCache(max_entries)


class _Throttle:
    """Lets one event through per ``interval_s`` and counts the ones held back."""

    def __init__(self, interval_s: float, clock: Clock = time.monotonic) -> None:
        self.interval_s = interval_s
        self.clock = clock
        self._next = 0.0
        self.suppressed = 0

    def ready(self) -> bool:
        now = self.clock()
        if now < self._next:
            self.suppressed += 1
            return False
        self._next = now + self.interval_s
        return True


def cache_key(secret: bytes | hmac.HMAC, agency: Agency, id_number: IdNumber) -> str:
    """Return the key of ``agency``'s records of one person: an HMAC, so the key hides the number.

    ``secret`` may be an HMAC already keyed with it (``keyed_hmac``), which is copied
    rather than keyed again. ``hmac.digest`` is avoided because it releases the GIL: beside
    the audit writer's thread, the event loop then waited for the GIL, about 25 µs a call
    in a profile against 2 µs alone.
    """
    keyed = secret.copy() if isinstance(secret, hmac.HMAC) else keyed_hmac(secret)
    keyed.update(id_number.value.encode())
    return f"{KEY_PREFIX}:{SHAPE}:{agency.value}:{keyed.hexdigest()[:32]}"


def keyed_hmac(secret: bytes) -> hmac.HMAC:
    """Return an HMAC-SHA256 keyed with ``secret`` and fed nothing yet, for ``cache_key``."""
    return hmac.new(secret, digestmod=hashlib.sha256)


class RecordCache:
    """AgencyRecords by agency and person over a ``Cache``: keys, codec, veto, degradation.

    ``key_secret`` keys the HMAC over ID numbers; replicas sharing one Redis need the same
    secret, and a random one (the default) is right only for one process.
    """

    def __init__(
        self,
        backend: Cache,
        key_secret: bytes | None = None,
        *,
        is_cacheable: Veto = always_cacheable,
        warn_interval_s: float = 60.0,
        metrics: HubMetrics | None = None,
        decoded_entries: int = 1024,
    ) -> None:
        self.backend = backend
        self.is_cacheable = is_cacheable
        self.metrics = metrics or METRICS
        self._secret = keyed_hmac(key_secret or secrets.token_bytes(32))
        self._throttle = _Throttle(warn_interval_s)
        self.decoded_entries = decoded_entries
        self._decoded: OrderedDict[bytes, AgencyRecords] = OrderedDict()

    def key(self, agency: Agency, id_number: IdNumber) -> str:
        return cache_key(self._secret, agency, id_number)

    async def get(self, agency: Agency, id_number: IdNumber) -> AgencyRecords | None:
        """Return the cached records, or None on a miss, a stale shape or a failed backend."""
        try:
            data = await self.backend.get(self.key(agency, id_number))
        except CacheUnavailable as exc:
            self._degraded("read", exc)
            self.metrics.cache_event(agency, "unavailable")
            return None

        records = self._hit(agency, data)
        if records is None:
            self.metrics.cache_event(agency, "miss")
        return records

    def get_now(self, agency: Agency, id_number: IdNumber) -> AgencyRecords | None:
        """Return the cached records if the backend can return them without waiting, else None.

        Only the in-process backend can. A None here says nothing about Redis, whose
        ``get`` the caller still awaits. A miss is not counted here, since that ``get``
        counts it.
        """
        if not isinstance(self.backend, InProcessCache):
            return None
        return self._hit(agency, self.backend.get_now(self.key(agency, id_number)))

    def _hit(self, agency: Agency, data: bytes | None) -> AgencyRecords | None:
        """Decode ``data`` and count a hit; return None for no data or data of a stale shape."""
        records = self._decode(data) if data is not None else None
        if records is not None:
            self.metrics.cache_event(agency, "hit")
        return records

    async def put(self, id_number: IdNumber, records: AgencyRecords, ttl_s: float) -> bool:
        """Store ``records`` unless the veto refuses them; True when stored."""
        if not self.is_cacheable(id_number, records):
            self.metrics.cache_event(records.agency, "uncacheable")
            return False
        if records.fetched_at is None:
            # Stored with the records, so a hit reports when they were fetched, not when they were read.
            records = dataclasses.replace(records, fetched_at=dt.datetime.now(dt.UTC))
        try:
            await self.backend.set(self.key(records.agency, id_number), encode_records(records), ttl_s)
        except CacheUnavailable as exc:
            self._degraded("write", exc)
            return False
        return True

    async def invalidate(self, agency: Agency, id_number: IdNumber) -> None:
        """Drop one person's cached records at one agency, as a poller does after a change."""
        await self.drop(self.key(agency, id_number))

    async def drop(self, key: str) -> None:
        """Drop the entry under ``key``, a key that ``cache_key`` made, here or in another process."""
        try:
            await self.backend.delete(key)
        except CacheUnavailable as exc:
            self._degraded("invalidate", exc)

    async def try_lock(self, key: str, ttl_s: float) -> str | None:
        try:
            return await self.backend.try_lock(key, ttl_s)
        except CacheUnavailable:
            return "unlocked"

    async def unlock(self, key: str, token: str) -> None:
        try:
            await self.backend.unlock(key, token)
        except CacheUnavailable as exc:
            self._degraded("unlock", exc)

    async def aclose(self) -> None:
        await self.backend.aclose()

    def _decode(self, data: bytes) -> AgencyRecords | None:
        """Decode ``data``, reusing the records decoded from the same bytes before.

        Hot keys come back as the same bytes many times until their TTL ends; decoding them
        is most of a cache hit's cost. The records inside are frozen, so each caller gets its
        own lists over shared records.
        """
        records = self._decoded.get(data)
        if records is None:
            try:
                records = decode_records(data)
            except CacheDecodeError:
                logger.warning("cached records did not decode; treating them as a miss", exc_info=True)
                return None
            self._decoded[data] = records
            if len(self._decoded) > self.decoded_entries:
                self._decoded.popitem(last=False)
        else:
            self._decoded.move_to_end(data)
        return _own_lists(records)

    def _degraded(self, action: str, exc: CacheUnavailable) -> None:
        if self._throttle.ready():
            held_back, self._throttle.suppressed = self._throttle.suppressed, 0
            logger.warning(
                "cache %s failed (%s); calling the agencies directly (%d similar warnings held back)",
                action,
                exc,
                held_back,
            )


def _own_lists(records: AgencyRecords) -> AgencyRecords:
    return AgencyRecords(
        records.agency,
        list(records.persons),
        list(records.judgments),
        list(records.police_cases),
        list(records.coercive_measures),
        list(records.administrative_detentions),
        list(records.custody),
        list(records.corrections),
        records.fetched_at,
    )


class CachingAdapter:
    """A ``RecordAdapter`` that returns cached records for ``ttl_s`` seconds (0 disables caching)."""

    def __init__(
        self, inner: RecordAdapter, cache: RecordCache, ttl_s: float, *, fill_lock_s: float = 0.0
    ) -> None:
        self.agency = inner.agency
        self.inner = inner
        self.cache = cache
        self.ttl_s = ttl_s
        self.fill_lock_s = fill_lock_s
        self._flights: dict[str, asyncio.Task[AgencyRecords]] = {}

    async def start(self) -> None:
        await self.inner.start()

    async def ping(self) -> None:
        await self.inner.ping()

    async def aclose(self) -> None:
        """Cancel fills that no caller awaits any more, then close the inner adapter.

        The cache is shared with other adapters, so it stays open.
        """
        for flight in list(self._flights.values()):
            flight.cancel()
        await asyncio.gather(*self._flights.values(), return_exceptions=True)
        await self.inner.aclose()

    def cached(self, id_number: IdNumber) -> AgencyRecords | None:
        """Return the records if the cache contains them and can return them without waiting, else None."""
        return self.cache.get_now(self.agency, id_number) if self.ttl_s > 0 else None

    async def fetch_records(self, id_number: IdNumber) -> AgencyRecords:
        if self.ttl_s <= 0:
            return await self.inner.fetch_records(id_number)

        cached = await self.cache.get(self.agency, id_number)
        if cached is not None:
            return cached

        # The shared fill outlives a caller that gives up, so the others still get their answer.
        key = self.cache.key(self.agency, id_number)
        flight = self._flights.get(key)
        if flight is None:
            flight = asyncio.create_task(self._fill(key, id_number))
            self._flights[key] = flight
            flight.add_done_callback(functools.partial(self._land, key))
        return await asyncio.shield(flight)

    async def fetch_records_many(self, id_numbers: Sequence[IdNumber]) -> dict[str, AgencyRecords]:
        """Return cached people's records from the cache and fetch the rest in one inner batch call.

        NOTE: a batch does not join the single-flight of concurrent single lookups.
        """
        call: BatchCall = self.inner.fetch_records_many  # type: ignore[attr-defined]
        if self.ttl_s <= 0:
            return await call(id_numbers)

        cached = await asyncio.gather(*(self.cache.get(self.agency, n) for n in id_numbers))
        found = {
            n.value: records for n, records in zip(id_numbers, cached, strict=True) if records is not None
        }
        missing = [n for n in id_numbers if n.value not in found]
        if missing:
            fetched = await call(missing)
            await asyncio.gather(*(self.cache.put(n, fetched[n.value], self.ttl_s) for n in missing))
            found.update((n.value, fetched[n.value]) for n in missing)
        return found

    async def fetch_records_by_local_keys(self, keys: Sequence[str]) -> AgencyRecords:
        """Not cached: the index's local keys are not the per-person keys that pollers invalidate."""
        call: KeysCall = self.inner.fetch_records_by_local_keys  # type: ignore[attr-defined]
        return await call(keys)

    async def invalidate(self, id_number: IdNumber) -> None:
        await self.cache.invalidate(self.agency, id_number)

    async def _fill(self, key: str, id_number: IdNumber) -> AgencyRecords:
        if self.fill_lock_s <= 0:
            return await self._fetch_and_store(id_number)

        token = await self.cache.try_lock(key, self.fill_lock_s)
        if token is None:
            filled = await self._wait_for_other_replica(id_number)
            if filled is not None:
                return filled
            return await self._fetch_and_store(id_number)
        try:
            return await self._fetch_and_store(id_number)
        finally:
            await self.cache.unlock(key, token)

    async def _fetch_and_store(self, id_number: IdNumber) -> AgencyRecords:
        records = await self.inner.fetch_records(id_number)
        await self.cache.put(id_number, records, self.ttl_s)
        return records

    async def _wait_for_other_replica(self, id_number: IdNumber) -> AgencyRecords | None:
        deadline = time.monotonic() + self.fill_lock_s
        while time.monotonic() < deadline:
            await asyncio.sleep(LOCK_POLL_S)
            cached = await self.cache.get(self.agency, id_number)
            if cached is not None:
                return cached
        return None

    def _land(self, key: str, flight: asyncio.Task[AgencyRecords]) -> None:
        if self._flights.get(key) is flight:
            del self._flights[key]
        if not flight.cancelled():
            flight.exception()  # retrieved here so a fill nobody awaited logs no warning
