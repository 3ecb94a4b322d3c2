"""Resilience of lookups: a circuit breaker, a concurrency limit and a timeout per agency.

``ResilientAdapter`` wraps a ``RecordAdapter``. An agency that keeps failing gets its
breaker opened: lookups then get ``UpstreamCircuitOpen`` at once, without a call, until a
cool-down has passed and one probe call has succeeded. Calls past the concurrency limit
wait a bounded time for a slot, then get ``UpstreamSaturated``.

Only lookups go through this. Notice delivery never does: its retries are scheduled by
``hub.notices`` with idempotency keys and leases, and a breaker refusing or a limiter
dropping a send would change when and how often a notice is attempted behind its back.

The breaker is written here rather than taken from a library: pybreaker supports
coroutines only through Tornado, aiobreaker's last release is from 2021, and purgatory
counts consecutive failures only, lets every concurrent call through while half-open, and
reads the wall clock.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from adapters.contract import RecordAdapter
from adapters.errors import (
    HubError,
    UpstreamCircuitOpen,
    UpstreamFault,
    UpstreamSaturated,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from adapters.idnumber import IdNumber
from adapters.records import Agency, AgencyRecords
from hub.metrics import METRICS, HubMetrics

logger = logging.getLogger(__name__)

OPERATION = "fetch_records"

# A data error or a refused input means the agency answered: it says nothing of it being down.
# Errors outside the hub's tree are adapter bugs and count as failures.
BREAKER_FAILURES: tuple[type[Exception], ...] = (UpstreamTimeout, UpstreamUnavailable, UpstreamFault)

Clock = Callable[[], float]
Permit = int
T = TypeVar("T")
BatchCall = Callable[[Sequence[IdNumber]], Awaitable[dict[str, AgencyRecords]]]
KeysCall = Callable[[Sequence[str]], Awaitable[AgencyRecords]]


class BreakerState(StrEnum):
    CLOSED = "closed"
    HALF_OPEN = "half_open"
    OPEN = "open"


@dataclass(frozen=True, slots=True)
class BreakerPolicy:
    """When a breaker opens and how it recovers.

    It opens after ``consecutive_failures`` failures in a row, or when at least
    ``min_calls`` of the last ``window`` calls were made and ``failure_ratio`` of them
    failed. After ``cool_down_s`` seconds it lets ``half_open_probes`` calls through.
    """

    consecutive_failures: int = 5
    failure_ratio: float = 0.5
    window: int = 20
    min_calls: int = 10
    cool_down_s: float = 30.0
    half_open_probes: int = 1


class CircuitBreaker:
    """One agency's breaker. ``allow`` hands out a permit that the call's outcome returns.

    Permits carry the generation they were issued in, so a slow call that started before
    the state changed cannot close or reopen the breaker when it finally ends.
    """

    def __init__(
        self,
        agency: Agency,
        policy: BreakerPolicy | None = None,
        *,
        clock: Clock = time.monotonic,
        on_change: Callable[[Agency, BreakerState], None] | None = None,
    ) -> None:
        self.agency = agency
        self.policy = policy or BreakerPolicy()
        self.clock = clock
        self.on_change = on_change
        self.state = BreakerState.CLOSED
        self._generation = 0
        self._opened_at = 0.0
        self._probes = 0
        self._consecutive = 0
        self._recent: deque[bool] = deque(maxlen=self.policy.window)  # True for a failure

    @property
    def retry_after_s(self) -> float:
        """Seconds until an open breaker lets a probe through; 0 when not open."""
        if self.state is not BreakerState.OPEN:
            return 0.0
        return max(0.0, self._opened_at + self.policy.cool_down_s - self.clock())

    def allow(self) -> Permit | None:
        """Return a permit to call the agency now, or None while the breaker refuses."""
        if self.state is BreakerState.OPEN and self.retry_after_s <= 0:
            self._move(BreakerState.HALF_OPEN)
        if self.state is BreakerState.OPEN:
            return None
        if self.state is BreakerState.HALF_OPEN:
            if self._probes >= self.policy.half_open_probes:
                return None
            self._probes += 1
        return self._generation

    def record_success(self, permit: Permit) -> None:
        if permit != self._generation:
            return
        if self.state is BreakerState.HALF_OPEN:
            self._move(BreakerState.CLOSED)
            return
        self._consecutive = 0
        self._recent.append(False)

    def record_failure(self, permit: Permit) -> None:
        if permit != self._generation:
            return
        if self.state is BreakerState.HALF_OPEN:
            self._move(BreakerState.OPEN)
            return
        self._consecutive += 1
        self._recent.append(True)
        if self._tripped():
            self._move(BreakerState.OPEN)

    def release(self, permit: Permit) -> None:
        """End a call that gave no verdict (cancelled, or refused by the limiter)."""
        if permit == self._generation and self.state is BreakerState.HALF_OPEN:
            self._probes -= 1

    def _tripped(self) -> bool:
        policy = self.policy
        if self._consecutive >= policy.consecutive_failures:
            return True
        calls = len(self._recent)
        return calls >= policy.min_calls and sum(self._recent) / calls >= policy.failure_ratio

    def _move(self, state: BreakerState) -> None:
        self.state = state
        self._generation += 1
        self._probes = 0
        if state is BreakerState.OPEN:
            self._opened_at = self.clock()
            logger.warning(
                "breaker agency=%s state=open cool_down_s=%.0f", self.agency.value, self.policy.cool_down_s
            )
        else:
            logger.info("breaker agency=%s state=%s", self.agency.value, state.value)
        if state is BreakerState.CLOSED:
            self._consecutive = 0
            self._recent.clear()
        if self.on_change is not None:
            self.on_change(self.agency, state)


class ConcurrencyLimiter:
    """At most ``limit`` calls at once; a caller waits at most ``max_wait_s`` for a slot.

    When ``max_waiting`` callers already wait, the next is refused at once: a queue that
    long would not drain within the wait anyway.
    """

    def __init__(self, limit: int, *, max_wait_s: float = 0.5, max_waiting: int | None = None) -> None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        self.limit = limit
        self.max_wait_s = max_wait_s
        self.max_waiting = max_waiting if max_waiting is not None else limit * 8
        self._semaphore = asyncio.Semaphore(limit)
        self._waiting = 0
        self.in_flight = 0

    async def acquire(self) -> bool:
        """Take a slot and return True, or return False when none frees up in time."""
        if self._semaphore.locked() and self._waiting >= self.max_waiting:
            return False
        self._waiting += 1
        try:
            async with asyncio.timeout(self.max_wait_s):
                await self._semaphore.acquire()
        except TimeoutError:
            return False
        finally:
            self._waiting -= 1
        self.in_flight += 1
        return True

    def release(self) -> None:
        self.in_flight -= 1
        self._semaphore.release()


class ResilientAdapter:
    """A ``RecordAdapter`` behind a circuit breaker and a concurrency limit.

    The timeout of each call is the inner adapter's (``hub.metrics.InstrumentedAdapter``),
    so a call that runs out of time is logged and counted as ``UpstreamTimeout`` there, and
    counts as a failure here.
    """

    def __init__(
        self,
        inner: RecordAdapter,
        breaker: CircuitBreaker,
        limiter: ConcurrencyLimiter,
        *,
        metrics: HubMetrics | None = None,
    ) -> None:
        self.agency = inner.agency
        self.inner = inner
        self.breaker = breaker
        self.limiter = limiter
        self.metrics = metrics or METRICS
        self.metrics.set_breaker_state(self.agency, breaker.state.value)

    async def start(self) -> None:
        await self.inner.start()

    async def ping(self) -> None:
        await self.inner.ping()

    async def aclose(self) -> None:
        await self.inner.aclose()

    async def fetch_records(self, id_number: IdNumber) -> AgencyRecords:
        return await self._guard(OPERATION, lambda: self.inner.fetch_records(id_number))

    async def fetch_records_many(self, id_numbers: Sequence[IdNumber]) -> dict[str, AgencyRecords]:
        """One batch call under one permit and one slot; only for adapters that have it."""
        call: BatchCall = self.inner.fetch_records_many  # type: ignore[attr-defined]
        return await self._guard("fetch_records_many", lambda: call(id_numbers))

    async def fetch_records_by_local_keys(self, keys: Sequence[str]) -> AgencyRecords:
        call: KeysCall = self.inner.fetch_records_by_local_keys  # type: ignore[attr-defined]
        return await self._guard("fetch_records_by_local_keys", lambda: call(keys))

    async def _guard(self, operation: str, call: Callable[[], Awaitable[T]]) -> T:
        permit = self.breaker.allow()
        if permit is None:
            self.metrics.rejection(self.agency, "circuit_open")
            retry_after_s = round(self.breaker.retry_after_s)
            raise UpstreamCircuitOpen(
                agency=self.agency.value, operation=operation, retry_after_s=retry_after_s
            )

        if not await self.limiter.acquire():
            self.breaker.release(permit)
            self.metrics.rejection(self.agency, "saturated")
            raise UpstreamSaturated(agency=self.agency.value, operation=operation, limit=self.limiter.limit)

        try:
            result = await call()
        except BaseException as exc:
            self._settle(permit, exc)
            raise
        finally:
            self.limiter.release()
        self.breaker.record_success(permit)
        return result

    def _settle(self, permit: Permit, exc: BaseException) -> None:
        if isinstance(exc, asyncio.CancelledError):
            self.breaker.release(permit)
        elif isinstance(exc, HubError) and not isinstance(exc, BREAKER_FAILURES):
            self.breaker.record_success(permit)
        else:
            self.breaker.record_failure(permit)


def breaker_gauge(metrics: HubMetrics) -> Callable[[Agency, BreakerState], None]:
    """An ``on_change`` callback that keeps ``metrics``' breaker gauge current."""

    def update(agency: Agency, state: BreakerState) -> None:
        metrics.set_breaker_state(agency, state.value)

    return update
