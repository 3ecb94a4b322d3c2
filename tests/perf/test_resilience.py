"""Circuit breaker, concurrency limit and timeout around agency adapters."""

from __future__ import annotations

import asyncio
import statistics
import time

import pytest

from adapters.errors import (
    InvalidIdNumber,
    UpstreamCircuitOpen,
    UpstreamDataError,
    UpstreamSaturated,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from adapters.records import Agency
from hub.metrics import InstrumentedAdapter
from hub.records import FetchStatus, PriorRecordService
from hub.resilience import BreakerPolicy, BreakerState, CircuitBreaker, ConcurrencyLimiter, ResilientAdapter
from tests.perf.fakes import PERSON, FakeClock, fresh_metrics, sample
from tests.standins import StandInAdapter

DOWN = UpstreamUnavailable(agency="court", operation="fetch_records")


def breaker(clock: FakeClock, policy: BreakerPolicy | None = None) -> CircuitBreaker:
    chosen = policy or BreakerPolicy(consecutive_failures=3, cool_down_s=30.0)
    return CircuitBreaker(Agency.COURT, chosen, clock=clock)


RATIO_ONLY = BreakerPolicy(consecutive_failures=100, failure_ratio=0.5, window=10, min_calls=10)


def fail(subject: CircuitBreaker, times: int) -> None:
    for _ in range(times):
        permit = subject.allow()
        assert permit is not None
        subject.record_failure(permit)


def test_breaker_opens_after_consecutive_failures() -> None:
    subject = breaker(FakeClock())

    fail(subject, 2)
    assert subject.state is BreakerState.CLOSED
    fail(subject, 1)

    assert subject.state is BreakerState.OPEN
    assert subject.allow() is None


def test_success_resets_the_consecutive_count() -> None:
    subject = breaker(FakeClock())

    fail(subject, 2)
    permit = subject.allow()
    assert permit is not None
    subject.record_success(permit)
    fail(subject, 2)

    assert subject.state is BreakerState.CLOSED


def test_breaker_opens_on_failure_ratio() -> None:
    subject = breaker(FakeClock(), RATIO_ONLY)

    for n in range(10):
        permit = subject.allow()
        assert permit is not None
        (subject.record_failure if n % 2 else subject.record_success)(permit)

    assert subject.state is BreakerState.OPEN


def test_ratio_waits_for_enough_calls() -> None:
    subject = breaker(FakeClock(), RATIO_ONLY)

    fail(subject, 9)

    assert subject.state is BreakerState.CLOSED


def test_half_open_lets_one_probe_through_after_cool_down() -> None:
    clock = FakeClock()
    subject = breaker(clock)
    fail(subject, 3)

    clock.advance(29.9)
    assert subject.allow() is None
    clock.advance(0.2)
    probe = subject.allow()

    assert probe is not None
    assert subject.state is BreakerState.HALF_OPEN
    assert subject.allow() is None


def test_successful_probe_closes() -> None:
    clock = FakeClock()
    subject = breaker(clock)
    fail(subject, 3)
    clock.advance(31)

    probe = subject.allow()
    assert probe is not None
    subject.record_success(probe)

    assert subject.state is BreakerState.CLOSED
    assert subject.allow() is not None


def test_failed_probe_reopens_for_a_new_cool_down() -> None:
    clock = FakeClock()
    subject = breaker(clock)
    fail(subject, 3)
    clock.advance(31)

    probe = subject.allow()
    assert probe is not None
    subject.record_failure(probe)

    assert subject.state is BreakerState.OPEN
    assert subject.retry_after_s == pytest.approx(30)


def test_released_probe_frees_its_slot() -> None:
    clock = FakeClock()
    subject = breaker(clock)
    fail(subject, 3)
    clock.advance(31)

    probe = subject.allow()
    assert probe is not None
    subject.release(probe)

    assert subject.allow() is not None


def test_late_success_from_before_the_opening_is_ignored() -> None:
    clock = FakeClock()
    subject = breaker(clock)
    slow = subject.allow()
    assert slow is not None
    fail(subject, 3)
    clock.advance(31)
    probe = subject.allow()

    subject.record_success(slow)

    assert subject.state is BreakerState.HALF_OPEN
    assert probe is not None


def test_state_changes_reach_the_callback() -> None:
    seen: list[BreakerState] = []
    clock = FakeClock()
    policy = BreakerPolicy(consecutive_failures=1, cool_down_s=1)
    subject = CircuitBreaker(
        Agency.COURT, policy, clock=clock, on_change=lambda agency, state: seen.append(state)
    )
    fail(subject, 1)
    clock.advance(2)
    probe = subject.allow()
    assert probe is not None
    subject.record_success(probe)

    assert seen == [BreakerState.OPEN, BreakerState.HALF_OPEN, BreakerState.CLOSED]


def resilient(
    inner: StandInAdapter, *, failures: int = 3, limit: int = 8, wait_s: float = 0.5, timeout_s: float = 1.0
) -> ResilientAdapter:
    subject = CircuitBreaker(inner.agency, BreakerPolicy(consecutive_failures=failures, cool_down_s=60))
    limiter = ConcurrencyLimiter(limit, max_wait_s=wait_s)
    metrics = fresh_metrics()
    timed = InstrumentedAdapter(inner, metrics, timeout_s=timeout_s)
    return ResilientAdapter(timed, subject, limiter, metrics=metrics)


async def test_open_breaker_refuses_without_calling() -> None:
    inner = StandInAdapter(Agency.COURT, error=DOWN)
    adapter = resilient(inner)
    for _ in range(3):
        with pytest.raises(UpstreamUnavailable):
            await adapter.fetch_records(PERSON)

    started = time.perf_counter()
    with pytest.raises(UpstreamCircuitOpen) as refused:
        await adapter.fetch_records(PERSON)

    assert time.perf_counter() - started < 0.01
    assert len(inner.calls) == 3
    assert refused.value.code == "UPSTREAM_UNAVAILABLE"
    assert refused.value.key == "upstream.circuit_open"
    assert "60" in refused.value.render("en")
    assert "法院" in refused.value.render()
    assert (
        sample(adapter.metrics, "hub_upstream_rejections_total", agency="court", reason="circuit_open") == 1
    )


async def test_timeout_counts_as_failure() -> None:
    inner = StandInAdapter(Agency.COURT, delay_s=1.0)
    adapter = resilient(inner, failures=2, timeout_s=0.02)

    for _ in range(2):
        with pytest.raises(UpstreamTimeout):
            await adapter.fetch_records(PERSON)

    assert adapter.breaker.state is BreakerState.OPEN


@pytest.mark.parametrize(
    "error",
    [
        UpstreamDataError(agency="court", operation="fetch_records", detail="x"),
        InvalidIdNumber(part="format", value="1"),
    ],
)
async def test_answers_that_fail_to_map_keep_the_breaker_closed(error: Exception) -> None:
    adapter = resilient(StandInAdapter(Agency.COURT, error=error), failures=1)

    with pytest.raises(type(error)):
        await adapter.fetch_records(PERSON)

    assert adapter.breaker.state is BreakerState.CLOSED


async def test_limiter_caps_calls_in_flight() -> None:
    inner = StandInAdapter(Agency.COURT, delay_s=0.05)
    adapter = resilient(inner, limit=3, wait_s=5)
    peak = 0

    async def watch() -> None:
        nonlocal peak
        while True:
            peak = max(peak, adapter.limiter.in_flight)
            await asyncio.sleep(0.002)

    watcher = asyncio.create_task(watch())
    await asyncio.gather(*(adapter.fetch_records(PERSON) for _ in range(12)))
    watcher.cancel()

    assert peak == 3
    assert len(inner.calls) == 12


async def test_queue_wait_past_its_bound_is_refused() -> None:
    inner = StandInAdapter(Agency.COURT, delay_s=0.2)
    adapter = resilient(inner, limit=1, wait_s=0.02)

    results = await asyncio.gather(*(adapter.fetch_records(PERSON) for _ in range(3)), return_exceptions=True)

    refused = [result for result in results if isinstance(result, UpstreamSaturated)]
    assert len(refused) == 2
    assert len(inner.calls) == 1
    assert adapter.breaker.state is BreakerState.CLOSED
    assert refused[0].key == "upstream.saturated"


async def test_cancelled_call_frees_its_slot() -> None:
    inner = StandInAdapter(Agency.COURT, delay_s=1.0)
    adapter = resilient(inner, limit=1)

    call = asyncio.create_task(adapter.fetch_records(PERSON))
    await asyncio.sleep(0.01)
    call.cancel()
    await asyncio.gather(call, return_exceptions=True)

    assert adapter.limiter.in_flight == 0
    inner.delay_s = 0
    assert (await adapter.fetch_records(PERSON)).agency is Agency.COURT


async def lookup_latencies(service: PriorRecordService, count: int) -> tuple[float, dict[Agency, float]]:
    """Median lookup time and median per-agency latency (ms) over ``count`` lookups."""
    totals: list[float] = []
    per_agency: dict[Agency, list[float]] = {}
    for _ in range(count):
        started = time.perf_counter()
        result = await service.lookup(PERSON)
        totals.append((time.perf_counter() - started) * 1000)
        for source in result.sources:
            per_agency.setdefault(source.agency, []).append(source.latency_ms)
    return statistics.median(totals), {agency: statistics.median(ms) for agency, ms in per_agency.items()}


async def test_one_failing_agency_does_not_slow_the_others() -> None:
    inners = {agency: StandInAdapter(agency, delay_s=0.02) for agency in Agency}
    adapters = [resilient(inner, failures=3, timeout_s=0.15) for inner in inners.values()]
    service = PriorRecordService(adapters, dict.fromkeys(Agency, 0.2))
    healthy = [Agency.POLICE, Agency.COURT, Agency.PRISON]
    baseline_total, baseline = await lookup_latencies(service, 8)

    inners[Agency.JUSTICE_BUREAU].delay_s = 5.0
    for _ in range(3):
        await service.lookup(PERSON)
    calls_when_opened = len(inners[Agency.JUSTICE_BUREAU].calls)
    failing_total, failing = await lookup_latencies(service, 8)
    result = await service.lookup(PERSON)

    assert adapters[3].breaker.state is BreakerState.OPEN
    assert len(inners[Agency.JUSTICE_BUREAU].calls) == calls_when_opened
    assert {s.agency: s.status for s in result.sources}[Agency.JUSTICE_BUREAU] is FetchStatus.UNAVAILABLE
    assert failing_total <= baseline_total * 1.5
    for agency in healthy:
        assert failing[agency] <= baseline[agency] * 1.5, (agency, baseline, failing)
    await service.aclose()
