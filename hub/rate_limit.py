"""Per-user quotas: fixed windows per user and operation, in Redis or in the process.

A quota is a number of calls per window (a minute, a day). Each call counts against every
window of its operation. Calls that would take a window past its limit raise
``RateLimited`` and count against none, so a refused batch leaves the quota as it was. Fixed
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
    async def hit(self, user_id: str, operation: str, calls: int = 1) -> None:
        """Count ``calls`` calls at once, or raise ``RateLimited`` and count none when a window lacks room."""
        ...

    def capacity(self, operation: str) -> int | None:
        """Return the most calls of ``operation`` any one window allows, or None when it has no quota."""
        ...

    async def aclose(self) -> None: ...


class _Windows:
    """Quotas by operation, and the window keys a call at a given time counts against."""

    def __init__(self, quotas: Mapping[str, Sequence[Quota]], clock: Clock) -> None:
        self.quotas = {operation: tuple(items) for operation, items in quotas.items()}
        self.clock = clock
        # Each quota with its window's length and the start of its keys, worked out once:
        # every lookup counts against two windows.
        self._prefixed = {
            operation: tuple(
                (quota, quota.seconds, f"{KEY_PREFIX}:{operation}:{quota.window}:") for quota in items
            )
            for operation, items in self.quotas.items()
        }

    def keys(self, user_id: str, operation: str) -> list[tuple[Quota, str, int]]:
        """Return each quota of ``operation`` with its key and the seconds until its window ends."""
        now = self.clock()
        found = []
        for quota, seconds, prefix in self._prefixed.get(operation, ()):
            bucket = int(now // seconds)
            reset_in = max(1, int((bucket + 1) * seconds - now))
            found.append((quota, f"{prefix}{bucket}:{user_id}", reset_in))
        return found

    def capacity(self, operation: str) -> int | None:
        limits = [quota.limit for quota in self.quotas.get(operation, ())]
        return min(limits) if limits else None


def _refuse(operation: str, quota: Quota, reset_in: int) -> RateLimited:
    logger.info("rate limited: operation=%s window=%s limit=%d", operation, quota.window, quota.limit)
    return RateLimited(operation=operation, window=quota.window, limit=quota.limit, retry_after_s=reset_in)


class InProcessRateLimiter:
    """Counters in a dict, for the embedded default: one process, one set of windows."""

    def __init__(self, quotas: Mapping[str, Sequence[Quota]], *, clock: Clock = time.time) -> None:
        self._windows = _Windows(quotas, clock)
        self._counts: dict[str, tuple[int, float]] = {}  # key -> (count, expires at)

    async def hit(self, user_id: str, operation: str, calls: int = 1) -> None:
        now = self._windows.clock()
        if len(self._counts) > 100_000:
            self._counts = {key: value for key, value in self._counts.items() if value[1] > now}
        windows = self._windows.keys(user_id, operation)
        for quota, key, reset_in in windows:
            if self._counts.get(key, (0, 0.0))[0] + calls > quota.limit:
                raise _refuse(operation, quota, reset_in)
        for _, key, reset_in in windows:
            self._counts[key] = (self._counts.get(key, (0, 0.0))[0] + calls, now + reset_in)

    def capacity(self, operation: str) -> int | None:
        return self._windows.capacity(operation)

    async def aclose(self) -> None:
        self._counts.clear()


# Checks every window of a call before counting it in any, in one atomic step. KEYS are
# the window keys; ARGV is the number of calls, then each window's limit and its expiry in
# seconds. Returns 0 when counted, else the 1-based index of the first full window.
_HIT_SCRIPT = """
local calls = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') + calls > tonumber(ARGV[2 * i]) then
    return i
  end
end
for i, key in ipairs(KEYS) do
  redis.call('INCRBY', key, calls)
  redis.call('EXPIRE', key, tonumber(ARGV[2 * i + 1]))
end
return 0
"""


class RedisRateLimiter:
    """Counters in Redis, checked and counted by one Lua script, shared by every replica.

    When Redis fails the call is allowed and a WARNING logged: a quota is a brake on
    scraping, and failing closed would stop every lookup whenever Redis restarts.
    """

    def __init__(
        self, client: redis.Redis, quotas: Mapping[str, Sequence[Quota]], *, clock: Clock = time.time
    ) -> None:
        self._client = client
        self._windows = _Windows(quotas, clock)
        self._script = client.register_script(_HIT_SCRIPT)

    @classmethod
    def from_url(cls, url: str, quotas: Mapping[str, Sequence[Quota]]) -> RedisRateLimiter:
        client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        return cls(client, quotas)

    async def hit(self, user_id: str, operation: str, calls: int = 1) -> None:
        windows = self._windows.keys(user_id, operation)
        if not windows:
            return
        args: list[int] = [calls]
        for quota, _, reset_in in windows:
            args += [quota.limit, reset_in + 1]
        try:
            full = int(await self._script(keys=[key for _, key, _ in windows], args=args))
        except (RedisError, OSError) as exc:
            logger.warning("rate limiter: Redis failed (%s); call allowed", type(exc).__name__)
            return
        if full:
            quota, _, reset_in = windows[full - 1]
            raise _refuse(operation, quota, reset_in)

    def capacity(self, operation: str) -> int | None:
        return self._windows.capacity(operation)

    async def aclose(self) -> None:
        await self._client.aclose()


def make_rate_limiter(redis_url: str | None, quotas: Mapping[str, Sequence[Quota]]) -> RateLimiter:
    if redis_url:
        return RedisRateLimiter.from_url(redis_url, quotas)
    return InProcessRateLimiter(quotas)
