"""Wrap each agency adapter for lookups: cache, then breaker and limit, then instruments.

    CachingAdapter           a hit answers here, even while the agency's breaker is open
      └ ResilientAdapter     breaker, concurrency limit, timeout
          └ InstrumentedAdapter   latency, errors and one log line per real agency call
              └ the agency's adapter

The resilient timeout ends a little before ``PriorRecordService`` abandons the call, so a
slow agency is counted as a failure by its breaker instead of being cancelled unseen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from adapters.contract import RecordAdapter
from adapters.records import Agency
from hub.cache import CachingAdapter, RecordCache, Veto, make_cache
from hub.cache_veto import sealing_veto
from hub.metrics import METRICS, HubMetrics, InstrumentedAdapter
from hub.resilience import CircuitBreaker, ConcurrencyLimiter, ResilientAdapter, breaker_gauge
from hub.settings_perf import PerfSettings

DEFAULT_TIMEOUT_S = 3.0
TIMEOUT_MARGIN_S = 0.1


def build_record_cache(
    settings: PerfSettings,
    *,
    is_cacheable: Veto = sealing_veto,
    metrics: HubMetrics | None = None,
    key_secret: bytes | None = None,
) -> RecordCache:
    """Build the records cache. ``key_secret``, when given, replaces ``HUB_CACHE_KEY_SECRET``."""
    backend = make_cache(
        settings.redis_url,
        max_entries=settings.cache_max_entries,
        command_timeout_s=settings.cache_command_timeout_s,
    )
    secret = key_secret or settings.key_secret()
    return RecordCache(backend, secret, is_cacheable=is_cacheable, metrics=metrics)


def wrap_adapters(
    adapters: Sequence[RecordAdapter],
    settings: PerfSettings,
    timeouts: Mapping[Agency, float],
    cache: RecordCache,
    *,
    metrics: HubMetrics | None = None,
) -> list[RecordAdapter]:
    """Return one wrapped adapter per adapter, in the same order."""
    metrics = metrics or METRICS
    ttls = settings.cache_ttls()
    limits = settings.concurrency_limits()
    wrapped: list[RecordAdapter] = []
    for adapter in adapters:
        agency = adapter.agency
        breaker = CircuitBreaker(agency, settings.breaker_policy(), on_change=breaker_gauge(metrics))
        limiter = ConcurrencyLimiter(limits.get(agency, 16), max_wait_s=settings.max_queue_wait_s)
        configured_s = timeouts.get(agency, DEFAULT_TIMEOUT_S)
        instrumented = InstrumentedAdapter(
            adapter, metrics, timeout_s=resilient_timeout(configured_s), configured_timeout_s=configured_s
        )
        resilient = ResilientAdapter(instrumented, breaker, limiter, metrics=metrics)
        wrapped.append(
            CachingAdapter(resilient, cache, ttls.get(agency, 0.0), fill_lock_s=settings.cache_fill_lock_s)
        )
    return wrapped


def resilient_timeout(lookup_timeout_s: float) -> float:
    """Return the breaker's timeout for an agency that a lookup waits ``lookup_timeout_s`` for."""
    return lookup_timeout_s - min(TIMEOUT_MARGIN_S, lookup_timeout_s / 10)
