"""Per-user quotas: fixed windows per user and operation, in Redis or in the process.

A quota is a number of calls per window (a minute, a day). Each call counts against every
window of its operation; the first window past its limit raises ``RateLimited``. Fixed
windows let a user spend at most twice a minute's quota across one window boundary, which
still keeps any account from reading thousands of people. ``make_rate_limiter`` picks Redis
when ``HUB_REDIS_URL`` is set, so every replica counts against the same windows.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as redis
from redis.exceptions import RedisError

from adapters.errors import RateLimited

logger = logging.getLogger(__name__)

KEY_PREFIX = "hub:rate"
WINDOW_SECONDS = {"minute": 60, "day": 86_400}
# Operation name of the quota every GraphQL request counts against.
REQUESTS = "request"

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class Quota:
    window: str  # a key of WINDOW_SECONDS
    limit: int

    @property
    def seconds(self) -> int:
        return WINDOW_SECONDS[self.window]


class RateLimiter(Protocol):
    async def hit(self, user_id: str, operation: str) -> None:
        """Count one call; raise ``RateLimited`` when a window of ``operation`` is spent."""
        ...

    async def aclose(self) -> None: ...


class _Windows:
    """Quotas by operation, and the window keys a call at a given time counts against."""

    def __init__(self, quotas: Mapping[str, Sequence[Quota]], clock: Clock) -> None:
        self.quotas = {operation: tuple(items) for operation, items in quotas.items()}
        self.clock = clock

    def keys(self, user_id: str, operation: str) -> list[tuple[Quota, str, int]]:
        """Return each quota of ``operation`` with its key and the seconds until its window ends."""
        now = self.clock()
        found = []
        for quota in self.quotas.get(operation, ()):
            bucket = int(now // quota.seconds)
            reset_in = max(1, int((bucket + 1) * quota.seconds - now))
            found.append((quota, f"{KEY_PREFIX}:{operation}:{quota.window}:{bucket}:{user_id}", reset_in))
        return found


def _refuse(operation: str, quota: Quota, reset_in: int) -> RateLimited:
    logger.info("rate limited: operation=%s window=%s limit=%d", operation, quota.window, quota.limit)
    return RateLimited(operation=operation, window=quota.window, limit=quota.limit, retry_after_s=reset_in)


class InProcessRateLimiter:
    """Counters in a dict, for the embedded default: one process, one set of windows."""

    def __init__(self, quotas: Mapping[str, Sequence[Quota]], *, clock: Clock = time.time) -> None:
        self._windows = _Windows(quotas, clock)
        self._counts: dict[str, tuple[int, float]] = {}  # key -> (count, expires at)

    async def hit(self, user_id: str, operation: str) -> None:
        now = self._windows.clock()
        if len(self._counts) > 100_000:
            self._counts = {key: value for key, value in self._counts.items() if value[1] > now}
        for quota, key, reset_in in self._windows.keys(user_id, operation):
            count = self._counts.get(key, (0, 0.0))[0] + 1
            self._counts[key] = (count, now + reset_in)
            if count > quota.limit:
                raise _refuse(operation, quota, reset_in)

    async def aclose(self) -> None:
        self._counts.clear()


class RedisRateLimiter:
    """Counters in Redis (INCR plus EXPIRE in one transaction), shared by every replica.

    When Redis fails the call is allowed and a WARNING logged: a quota is a brake on
    scraping, and failing closed would stop every lookup whenever Redis restarts.
    """

    def __init__(
        self, client: redis.Redis, quotas: Mapping[str, Sequence[Quota]], *, clock: Clock = time.time
    ) -> None:
        self._client = client
        self._windows = _Windows(quotas, clock)

    @classmethod
    def from_url(cls, url: str, quotas: Mapping[str, Sequence[Quota]]) -> RedisRateLimiter:
        client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        return cls(client, quotas)

    async def hit(self, user_id: str, operation: str) -> None:
        windows = self._windows.keys(user_id, operation)
        if not windows:
            return
        try:
            async with self._client.pipeline(transaction=True) as pipe:
                for _, key, reset_in in windows:
                    pipe.incr(key)
                    pipe.expire(key, reset_in + 1)
                replies = await pipe.execute()
        except (RedisError, OSError) as exc:
            logger.warning("rate limiter: Redis failed (%s); call allowed", type(exc).__name__)
            return
        for (quota, _, reset_in), count in zip(windows, replies[::2], strict=True):
            if int(count) > quota.limit:
                raise _refuse(operation, quota, reset_in)

    async def aclose(self) -> None:
        await self._client.aclose()


def make_rate_limiter(redis_url: str | None, quotas: Mapping[str, Sequence[Quota]]) -> RateLimiter:
    if redis_url:
        return RedisRateLimiter.from_url(redis_url, quotas)
    return InProcessRateLimiter(quotas)
