"""Drop cached agency records when a poller sees a person's records change.

Pollers (``hub poll court``, ``hub poll-identity``) are separate processes, so they cannot
reach a hub process's memory. With Redis (``HUB_REDIS_URL``) they delete the keys there.
With the embedded in-process cache they append the keys to the store's
``cache_invalidations`` table instead, and every hub process follows that table
(``StoreInvalidations``) and drops the keys from its own cache within
``HUB_CACHE_INVALIDATION_POLL_S``.

A key is an HMAC of the ID number (``hub.cache.cache_key``), so the table holds no ID
number, and pollers and hubs must use the same secret: ``HUB_CACHE_KEY_SECRET``, or when
that is unset a secret derived from the audit subject key, which every process of one
deployment shares (``cache_key_secret``).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.exc import SQLAlchemyError

from adapters.idnumber import try_parse_id_number
from adapters.records import Agency, JudgmentChange, PersonIdentity
from hub.cache import RecordCache, RedisCache, cache_key
from hub.security_setup import SecuritySetupError, subject_key
from hub.settings import Settings
from hub.store import Store, cache_invalidations, create_store, utcnow

logger = logging.getLogger(__name__)

PeopleHook = Callable[[Sequence[PersonIdentity]], Awaitable[None]]
ChangesHook = Callable[[Sequence[JudgmentChange]], Awaitable[None]]

# Rows older than this are deleted when a poller appends new ones. A hub process reads
# the table every second by default, so only a process stalled this long would miss a row.
RETENTION = dt.timedelta(hours=1)
# Rows a hub process reads in one query. More rows wait for the next round, which follows at once.
READ_BATCH = 1000
_DERIVATION_LABEL = b"jeh records cache keys v1"
# PostgreSQL advisory lock key of the appenders (an arbitrary number, used nowhere else).
APPEND_LOCK_KEY = 5134_0007


def cache_key_secret(settings: Settings) -> bytes:
    """Return ``HUB_CACHE_KEY_SECRET``, or when it is unset a secret derived from the audit subject key.

    Raises ``SecuritySetupError`` where ``subject_key`` does (production without
    ``HUB_AUDIT_SUBJECT_KEY``).
    """
    explicit = settings.key_secret()
    if explicit is not None:
        return explicit
    return derived_key_secret(subject_key(settings))


def derived_key_secret(subject: bytes) -> bytes:
    """Derive the cache key secret from the audit subject key, for a deployment that sets none."""
    return hmac.new(subject, _DERIVATION_LABEL, hashlib.sha256).digest()


async def invalidate_people(
    agency: Agency, id_numbers: Iterable[str | None], settings: Settings, *, store: Store | None = None
) -> int:
    """Drop ``agency``'s cached records of these people and return how many people were named.

    With Redis the keys are deleted there; otherwise they are appended to ``store`` (or the
    store ``HUB_STORE_URL`` names) for the hub processes to drop. Invalid numbers are skipped.
    """
    parsed = {n.value: n for n in (try_parse_id_number(text) for text in id_numbers if text) if n is not None}
    if not parsed:
        return 0
    try:
        secret = cache_key_secret(settings)
    except SecuritySetupError as exc:
        logger.warning("cache invalidation skipped: no cache key secret (%s)", exc)
        return 0

    if settings.redis_url:
        backend = RedisCache.from_url(settings.redis_url, command_timeout_s=settings.cache_command_timeout_s)
        cache = RecordCache(backend, secret)
        try:
            for id_number in parsed.values():
                await cache.invalidate(agency, id_number)
        finally:
            await cache.aclose()
    else:
        keys = [cache_key(secret, agency, id_number) for id_number in parsed.values()]
        await _append_keys(store, settings, keys)
    logger.info("cache invalidated agency=%s people=%d", agency.value, len(parsed))
    return len(parsed)


async def _append_keys(store: Store | None, settings: Settings, keys: Sequence[str]) -> None:
    """Append ``keys`` to ``cache_invalidations`` and delete the rows older than ``RETENTION``."""
    own = store is None
    target = store or create_store(settings.store_url)
    now = utcnow()
    try:
        async with target.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # PostgreSQL hands out ids before commit, so two appenders could commit out of
                # id order, and a follower past the later id would never read the earlier row.
                # So appenders take turns, as SQLite's write lock already makes them do.
                await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPEND_LOCK_KEY})
            rows = [{"cache_key": key, "recorded_at": now} for key in keys]
            await conn.execute(insert(cache_invalidations), rows)
            await conn.execute(
                delete(cache_invalidations).where(cache_invalidations.c.recorded_at < now - RETENTION)
            )
    finally:
        if own:
            await target.aclose()


def people_hook(agency: Agency, settings: Settings, store: Store | None = None) -> PeopleHook:
    """Return an ``on_page`` hook for ``hub.identity.feed.feed_people``."""

    # NOTE: the legacy person tables have no change column, so a sweep invalidates every
    # person it reads. The TTL bounds how stale an entry gets between sweeps.
    async def hook(page: Sequence[PersonIdentity]) -> None:
        await invalidate_people(agency, (person.id_number for person in page), settings, store=store)

    return hook


def judgments_hook(settings: Settings, store: Store | None = None) -> ChangesHook:
    """Return an ``on_changes`` hook for the court pollers, which drops each party's court records."""

    async def hook(changes: Sequence[JudgmentChange]) -> None:
        people = (change.person.id_number for change in changes)
        await invalidate_people(Agency.COURT, people, settings, store=store)

    return hook


class StoreInvalidations:
    """Follow ``cache_invalidations`` and drop each new key from this process's records cache.

    It starts at the table's last row: entries cached before this process started do not
    exist. A failed read is logged and retried on the next round.
    """

    def __init__(self, store: Store, cache: RecordCache, interval_s: float) -> None:
        self.store = store
        self.cache = cache
        self.interval_s = interval_s
        self.last_id: int | None = None
        self._task: asyncio.Task[None] | None = None

    def begin(self) -> None:
        self._task = asyncio.create_task(self._follow(), name="cache-invalidations")

    async def aclose(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def catch_up(self) -> int:
        """Drop the keys appended since the last call and return how many.

        The first call only records where the table ends.
        """
        async with self.store.read() as conn:
            if self.last_id is None:
                last = await conn.scalar(select(func.max(cache_invalidations.c.id)))
                self.last_id = int(last or 0)
                return 0
            query = (
                select(cache_invalidations.c.id, cache_invalidations.c.cache_key)
                .where(cache_invalidations.c.id > self.last_id)
                .order_by(cache_invalidations.c.id)
                .limit(READ_BATCH)
            )
            rows = (await conn.execute(query)).all()
        for row in rows:
            await self.cache.drop(row.cache_key)
        if rows:
            self.last_id = int(rows[-1].id)
        return len(rows)

    async def _follow(self) -> None:
        while True:
            try:
                dropped = await self.catch_up()
            except (SQLAlchemyError, OSError) as exc:
                logger.warning("reading cache invalidations failed: %s; retrying", type(exc).__name__)
                dropped = 0
            except Exception:
                # Anything else is a bug, but a stopped follower would leave stale cached records.
                logger.exception("following cache invalidations failed; retrying")
                dropped = 0
            if dropped < READ_BATCH:
                await asyncio.sleep(self.interval_s)
