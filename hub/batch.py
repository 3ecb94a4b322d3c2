"""``priorRecordsBatch``'s fan-out: one call per agency that can batch, bounded calls elsewhere.

The police, prison and justice-bureau databases return a whole batch from ``IN`` queries
(``SqlAdapter.fetch_records_many``) and the court's SOAP service from its batch operation
``queryPjxxBySfzhPl`` (``CourtAdapter.fetch_records_many``): one call each. An adapter
without ``fetch_records_many`` is called once per person, at most
``per_agency_concurrency`` calls at a time. Each person's records are then merged and
linked through the person index exactly as in a single lookup
(``hub.identity.lookup.LinkedLookup``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Mapping, Sequence

from adapters.contract import RecordAdapter
from adapters.errors import AdapterFailure, HubError, UpstreamTimeout, UpstreamUnavailable
from adapters.idnumber import IdNumber
from adapters.records import Agency, AgencyRecords
from hub.identity.lookup import LinkedLookup, LinkedLookupResult
from hub.records import DEFAULT_TIMEOUT_S, FetchStatus, LookupResult, SourceStatus, answered, merge

logger = logging.getLogger(__name__)

MAX_BATCH = 100
BATCH_OPERATION = "fetch_records_many"
# Seconds added to an agency's timeout for a whole batch of single calls waiting their turn.
QUEUE_ALLOWANCE_S = 2.0

Outcome = tuple[SourceStatus, AgencyRecords | None]


def supports(adapter: object, method: str) -> bool:
    """Return whether ``adapter`` and every adapter it wraps (``.inner``) have ``method``."""
    layer: object | None = adapter
    while layer is not None:
        if not callable(getattr(layer, method, None)):
            return False
        layer = getattr(layer, "inner", None)
    return True


def can_batch(adapter: RecordAdapter) -> bool:
    return supports(adapter, "fetch_records_many")


class _Answered:
    """A ``PriorLookup`` over results already fetched, so ``LinkedLookup`` adds only the links."""

    def __init__(self, results: Mapping[str, LookupResult]) -> None:
        self.results = results

    async def lookup(self, id_number: IdNumber) -> LookupResult:
        return self.results[id_number.value]


class BatchRecords:
    """Look many people up at once over the same adapters and index as single lookups."""

    def __init__(
        self,
        adapters: Sequence[RecordAdapter],
        timeouts: Mapping[Agency, float],
        linked: LinkedLookup,
        *,
        per_agency_concurrency: int = 8,
    ) -> None:
        self.adapters = tuple(adapters)
        self.timeouts = dict(timeouts)
        self.linked = linked
        self.per_agency_concurrency = per_agency_concurrency

    async def lookup_many(self, id_numbers: Sequence[IdNumber]) -> list[LinkedLookupResult]:
        """Return one result per distinct number, in the order given."""
        unique = list({n.value: n for n in id_numbers}.values())
        per_agency = await asyncio.gather(*(self._agency(adapter, unique) for adapter in self.adapters))
        results = {}
        for id_number in unique:
            outcomes = [answers[id_number.value] for answers in per_agency]
            fetched = [records for _, records in outcomes if records is not None]
            results[id_number.value] = merge(id_number, fetched, [status for status, _ in outcomes])

        linked = LinkedLookup(
            _Answered(results),
            self.linked.identity,
            self.linked.fetchers.values(),
            timeout_s=self.linked.timeout_s,
        )
        return list(await asyncio.gather(*(linked.lookup(n) for n in unique)))

    async def _agency(self, adapter: RecordAdapter, id_numbers: list[IdNumber]) -> dict[str, Outcome]:
        if can_batch(adapter):
            return await self._batch(adapter, id_numbers)
        slots = asyncio.Semaphore(self.per_agency_concurrency)

        async def one(id_number: IdNumber) -> Outcome:
            async with slots:
                return await self._single(adapter, id_number)

        outcomes = await asyncio.gather(*(one(n) for n in id_numbers))
        return {n.value: outcome for n, outcome in zip(id_numbers, outcomes, strict=True)}

    async def _batch(self, adapter: RecordAdapter, id_numbers: list[IdNumber]) -> dict[str, Outcome]:
        timeout_s = self.timeouts.get(adapter.agency, DEFAULT_TIMEOUT_S) + QUEUE_ALLOWANCE_S
        started = time.perf_counter()
        try:
            async with asyncio.timeout(timeout_s):
                answers: dict[str, AgencyRecords] = await adapter.fetch_records_many(id_numbers)  # type: ignore[attr-defined]
        except Exception as exc:
            status = _status(adapter.agency, started, _error(adapter.agency, exc, timeout_s))
            return {n.value: (status, None) for n in id_numbers}
        status = _status(adapter.agency, started, None)
        return {n.value: (answered(status, answers[n.value]), answers[n.value]) for n in id_numbers}

    async def _single(self, adapter: RecordAdapter, id_number: IdNumber) -> Outcome:
        timeout_s = self.timeouts.get(adapter.agency, DEFAULT_TIMEOUT_S)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(timeout_s):
                records = await adapter.fetch_records(id_number)
        except Exception as exc:
            return _status(adapter.agency, started, _error(adapter.agency, exc, timeout_s)), None
        return answered(_status(adapter.agency, started, None), records), records


def _error(agency: Agency, exc: Exception, timeout_s: float) -> HubError:
    if isinstance(exc, TimeoutError):
        return UpstreamTimeout(agency=agency.value, operation=BATCH_OPERATION, timeout_s=timeout_s)
    if isinstance(exc, HubError):
        return exc
    logger.error("batch call to %s failed with an unexpected error", agency.value, exc_info=exc)
    return AdapterFailure(agency=agency.value, operation=BATCH_OPERATION)


def _status(agency: Agency, started: float, error: HubError | None) -> SourceStatus:
    if error is None:
        status = FetchStatus.OK
    elif isinstance(error, UpstreamTimeout):
        status = FetchStatus.TIMED_OUT
    elif isinstance(error, UpstreamUnavailable):
        status = FetchStatus.UNAVAILABLE
    else:
        status = FetchStatus.ERROR
    latency_ms = round((time.perf_counter() - started) * 1000, 1)
    return SourceStatus(agency, status, dt.datetime.now(dt.UTC), latency_ms, error)
