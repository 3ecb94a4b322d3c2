"""Prometheus metrics of agency calls, breakers, the cache, polls and notices; ``/metrics``.

Labels hold agencies, codes and statuses only: never an ID number, a name or a case number,
which would leak personal data and give every person a time series of their own.

``InstrumentedAdapter`` wraps the adapter that talks to the agency, so it sees real
upstream calls only (cache hits and breaker refusals never reach it) and writes one INFO
line per call under the request id of the HTTP request that caused it.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from starlette.requests import Request
from starlette.responses import Response

from adapters.contract import CANCELLED, RecordAdapter, calls_logged_by_caller
from adapters.errors import HubError, UpstreamTimeout
from adapters.idnumber import IdNumber
from adapters.records import Agency, AgencyRecords
from hub import tracing
from hub.logging import request_id

__all__ = ["BREAKER_STATE_VALUES", "METRICS", "HubMetrics", "InstrumentedAdapter", "metrics_endpoint"]

logger = logging.getLogger(__name__)

OPERATION = "fetch_records"

T = TypeVar("T")
BatchCall = Callable[[Sequence[IdNumber]], Awaitable[dict[str, AgencyRecords]]]
KeysCall = Callable[[Sequence[str]], Awaitable[AgencyRecords]]

# Agencies answer in tens of milliseconds when well and hit their timeouts (3-5 s) when not.
LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# Seconds a scrape waits for the store before serving the values it has.
REFRESH_TIMEOUT_S = 2.0

BREAKER_STATE_VALUES = {"closed": 0, "half_open": 1, "open": 2}


class HubMetrics:
    """Every metric the hub exports, in a registry of its own with the process's CPU and memory."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        if registry is None:
            registry = CollectorRegistry(auto_describe=True)
            ProcessCollector(registry=registry)
        self.registry = registry
        self.upstream_seconds = Histogram(
            "hub_upstream_call_seconds",
            "Duration of calls to an agency's system, seconds",
            ["agency", "outcome"],
            buckets=LATENCY_BUCKETS_S,
            registry=self.registry,
        )
        self.upstream_errors = Counter(
            "hub_upstream_errors",
            "Failed agency calls by error code",
            ["agency", "code"],
            registry=self.registry,
        )
        self.upstream_rejections = Counter(
            "hub_upstream_rejections",
            "Agency calls refused without calling: reason circuit_open or saturated",
            ["agency", "reason"],
            registry=self.registry,
        )
        self.breaker_state = Gauge(
            "hub_breaker_state",
            "Circuit breaker state: 0 closed, 1 half-open, 2 open",
            ["agency"],
            registry=self.registry,
        )
        self.cache_events = Counter(
            "hub_cache_lookups",
            "Records cache lookups by result: hit, miss, unavailable (backend down), uncacheable (vetoed)",
            ["agency", "result"],
            registry=self.registry,
        )
        self.poll_lag = Gauge(
            "hub_poll_lag_seconds",
            "Seconds since a poller last advanced the agency watermark, read from the store",
            ["agency"],
            registry=self.registry,
        )
        self.notices = Gauge(
            "hub_notices", "Correction notices by status", ["status"], registry=self.registry
        )
        self.lookups_refused = Counter(
            "hub_lookups_refused",
            "People whose lookup was refused, by rule: OPERATION, COUNTY, PURPOSE_ROLE, CASE_COURT,"
            " CASE_NUMBER_MISSING, CASE_NUMBER_INVALID, QUOTA",
            ["reason"],
            registry=self.registry,
        )
        self._notice_statuses: set[str] = set()

        # labels() validates and locks on every call; the per-request series are few and fixed.
        self._children: dict[tuple[str, ...], Any] = {}

    def _child(self, metric: Histogram | Counter, *labels: str) -> Any:
        key = (metric._name, *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def upstream_call(self, agency: Agency, seconds: float, error: BaseException | None) -> None:
        outcome = "ok" if error is None else "error"
        self._child(self.upstream_seconds, agency.value, outcome).observe(seconds)
        if error is not None:
            self.upstream_errors.labels(agency.value, _code(error)).inc()

    def rejection(self, agency: Agency, reason: str) -> None:
        self.upstream_rejections.labels(agency.value, reason).inc()

    def set_breaker_state(self, agency: Agency, state: str) -> None:
        self.breaker_state.labels(agency.value).set(BREAKER_STATE_VALUES[state])

    def cache_event(self, agency: Agency, result: str) -> None:
        self._child(self.cache_events, agency.value, result).inc()

    def lookup_refused(self, reason: str, people: int) -> None:
        self.lookups_refused.labels(reason).inc(people)

    def observe_poll_lag(self, agency: Agency | str, lag_s: float) -> None:
        """Record how far behind the agency's newest change a poller is, in seconds."""
        self.poll_lag.labels(str(agency)).set(lag_s)

    def set_notices_by_status(self, counts: Mapping[str, int]) -> None:
        """Replace the notice counts; a status missing from ``counts`` drops to zero."""
        for status in self._notice_statuses - counts.keys():
            self.notices.labels(status).set(0)
        for status, count in counts.items():
            self.notices.labels(status).set(count)
        self._notice_statuses |= set(counts)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


METRICS = HubMetrics()


def metrics_endpoint(
    metrics: HubMetrics | None = None,
    *,
    refresh: Callable[[], Awaitable[None]] | None = None,
    token: str | None = None,
) -> Callable[[Request], Awaitable[Response]]:
    """Return a Starlette endpoint that serves ``metrics`` in the Prometheus text format.

    ``refresh`` runs first on every scrape, for values other processes write (poll lag,
    notices by status: ``hub.metrics_store``). When it fails, the scrape still returns
    the values of the last successful refresh. With ``token`` set, a scrape must send
    ``Authorization: Bearer <token>``; any other request gets 401 and no metrics.
    """
    chosen = metrics or METRICS
    expected = f"Bearer {token}".encode() if token else None

    async def serve_metrics(request: Request) -> Response:
        if expected is not None:
            sent = request.headers.get("authorization", "").encode()
            if not hmac.compare_digest(sent, expected):
                logger.info("metrics scrape rejected: reason=%s", "missing" if not sent else "invalid")
                return Response(
                    "401 未授权：请以 Bearer 令牌发送指标令牌（HUB_METRICS_TOKEN）。"
                    " / Unauthorized: send the metrics token (HUB_METRICS_TOKEN) as a bearer token.\n",
                    status_code=401,
                    headers={"WWW-Authenticate": 'Bearer realm="hub-metrics"'},
                    media_type="text/plain",
                )
        if refresh is not None:
            try:
                async with asyncio.timeout(REFRESH_TIMEOUT_S):
                    await refresh()
            except Exception:
                logger.warning("metrics refresh from the store failed", exc_info=True)
        return Response(chosen.exposition(), media_type=CONTENT_TYPE_LATEST)

    return serve_metrics


class InstrumentedAdapter:
    """Times every call to the agency, counts its errors, and logs one line per call.

    That line is the call's INFO line: the adapter's own line drops to DEBUG under it
    (``adapters.contract.calls_logged_by_caller``).

    With ``timeout_s``, a call still running after that many seconds ends in
    ``UpstreamTimeout``, which is logged, counted and traced like any other failure. The
    error names ``configured_timeout_s``, the timeout the settings give, when the caller
    passes a shorter one to finish first.
    """

    def __init__(
        self,
        inner: RecordAdapter,
        metrics: HubMetrics | None = None,
        *,
        timeout_s: float | None = None,
        configured_timeout_s: float | None = None,
    ) -> None:
        self.agency = inner.agency
        self.inner = inner
        self.metrics = metrics or METRICS
        self.timeout_s = timeout_s
        self.configured_timeout_s = configured_timeout_s or timeout_s

    async def start(self) -> None:
        await self.inner.start()

    async def ping(self) -> None:
        await self.inner.ping()

    async def aclose(self) -> None:
        await self.inner.aclose()

    async def fetch_records(self, id_number: IdNumber) -> AgencyRecords:
        return await self._timed(OPERATION, id_number.masked(), lambda: self.inner.fetch_records(id_number))

    async def fetch_records_many(self, id_numbers: Sequence[IdNumber]) -> dict[str, AgencyRecords]:
        """Forward a batch; only called when the inner adapter has it (``hub.batch.can_batch``)."""
        call: BatchCall = self.inner.fetch_records_many  # type: ignore[attr-defined]
        return await self._timed("fetch_records_many", f"{len(id_numbers)} people", lambda: call(id_numbers))

    async def fetch_records_by_local_keys(self, keys: Sequence[str]) -> AgencyRecords:
        call: KeysCall = self.inner.fetch_records_by_local_keys  # type: ignore[attr-defined]
        return await self._timed("fetch_records_by_local_keys", f"{len(keys)} keys", lambda: call(keys))

    async def _timed(self, operation: str, subject: str, call: Callable[[], Awaitable[T]]) -> T:
        attributes = {"hub.agency": self.agency.value, "hub.operation": operation}
        span = tracing.span(f"{self.agency.value} {operation}", attributes, kind="client")
        with span, calls_logged_by_caller():
            started = time.perf_counter()
            try:
                result = await self._within_timeout(operation, call)
            except Exception as exc:
                self._observe(operation, subject, started, exc)
                raise
            except asyncio.CancelledError:
                # The caller cancelled the call, at its own deadline or for another reason.
                self._observe(operation, subject, started, CallCancelled())
                raise
            self._observe(operation, subject, started, None)
            return result

    async def _within_timeout(self, operation: str, call: Callable[[], Awaitable[T]]) -> T:
        if self.timeout_s is None:
            return await call()
        try:
            async with asyncio.timeout(self.timeout_s):
                return await call()
        except TimeoutError as exc:
            raise UpstreamTimeout(
                agency=self.agency.value, operation=operation, timeout_s=self.configured_timeout_s
            ) from exc

    def _observe(self, operation: str, subject: str, started: float, error: Exception | None) -> None:
        seconds = time.perf_counter() - started
        self.metrics.upstream_call(self.agency, seconds, error)
        logger.info(
            "upstream agency=%s operation=%s id_number=%s outcome=%s code=%s ms=%.1f request_id=%s",
            self.agency.value,
            operation,
            subject,
            "ok" if error is None else "error",
            "-" if error is None else _code(error),
            seconds * 1000,
            request_id.get(),
        )


class CallCancelled(Exception):
    """Stands for a call its caller cancelled, in the log line, the error count and the span."""

    code = CANCELLED


def _code(error: BaseException) -> str:
    # Anything outside the hub's tree is an adapter bug; its class name is safe to label.
    if isinstance(error, HubError | CallCancelled):
        return error.code
    return type(error).__name__
