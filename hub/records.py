"""Prior-record lookup: query every agency concurrently and merge the results.

An agency that fails or times out degrades only its own part of the result. The
lookup always returns, with a ``SourceStatus`` per agency that records the outcome.
Criminal records (guilty verdicts in effective judgments) are kept apart from case
information (everything else an agency holds on the person).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Protocol, TypeVar

from adapters.contract import RecordAdapter
from adapters.errors import AdapterFailure, HubError, UpstreamTimeout, UpstreamUnavailable
from adapters.idnumber import IdNumber
from adapters.records import (
    AdministrativeDetention,
    Agency,
    AgencyRecords,
    CoerciveMeasure,
    CorrectionRecord,
    CustodyRecord,
    Judgment,
    PersonIdentity,
    PoliceCase,
    SourceRef,
)

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 3.0
OPERATION = "fetch_records"

T = TypeVar("T")

# Household registration is a police register, so its identity wins a tie.
IDENTITY_PRIORITY = (Agency.POLICE, Agency.COURT, Agency.PRISON, Agency.JUSTICE_BUREAU)


class FetchStatus(StrEnum):
    OK = "ok"
    TIMED_OUT = "timed_out"
    UNAVAILABLE = "unavailable"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """The outcome of one agency call within a lookup."""

    agency: Agency
    status: FetchStatus
    fetched_at: dt.datetime  # aware, UTC: when the agency returned the records, or the call was abandoned
    latency_ms: float
    error: HubError | None = None
    cached: bool = False  # records read from the hub's cache, so fetched_at is when they were first fetched


@dataclass(frozen=True, slots=True)
class CaseInformation:
    """Everything on the person that is not a criminal record."""

    judgments: tuple[Judgment, ...] = ()  # acquittals, judgments not yet in effect
    police_cases: tuple[PoliceCase, ...] = ()
    coercive_measures: tuple[CoerciveMeasure, ...] = ()
    administrative_detentions: tuple[AdministrativeDetention, ...] = ()
    custody: tuple[CustodyRecord, ...] = ()
    corrections: tuple[CorrectionRecord, ...] = ()


class Sourced(Protocol):
    """A record that names the agency and local reference it came from."""

    @property
    def source(self) -> SourceRef: ...


@dataclass(frozen=True, slots=True)
class LookupResult:
    """Merged result of one lookup.

    ``identities`` contains every agency's identity of the person, from which ``person`` was
    chosen, so the sealing filter can choose again from fewer of them.
    """

    id_number: IdNumber
    person: PersonIdentity | None
    criminal_records: tuple[Judgment, ...]
    case_information: CaseInformation
    sources: tuple[SourceStatus, ...]
    identities: tuple[PersonIdentity, ...] = field(default=(), kw_only=True)

    def all_records(self) -> list[Sourced]:
        """Return the criminal records and every kind of case information, in one list."""
        info = self.case_information
        return [
            *self.criminal_records,
            *info.judgments,
            *info.police_cases,
            *info.coercive_measures,
            *info.administrative_detentions,
            *info.custody,
            *info.corrections,
        ]


def answered(status: SourceStatus, records: AgencyRecords) -> SourceStatus:
    """Return ``status`` of a call that returned ``records``, dated when the agency returned them.

    Records read from the cache carry that time in ``AgencyRecords.fetched_at``. The status
    then takes it and sets ``cached``, so a lookup reports the age of each agency's part.
    """
    if records.fetched_at is None:
        return status
    # Built directly: in a profile, dataclasses.replace cost several constructor calls, four times a lookup.
    return SourceStatus(
        status.agency, status.status, records.fetched_at, status.latency_ms, status.error, cached=True
    )


class PriorRecordService:
    """Fan a lookup out to every agency adapter, each under its own timeout (seconds)."""

    def __init__(self, adapters: Sequence[RecordAdapter], timeouts: Mapping[Agency, float]) -> None:
        self.adapters = tuple(adapters)
        self.timeouts = dict(timeouts)
        self._abandoned: set[asyncio.Future[AgencyRecords]] = set()

    async def lookup(self, id_number: IdNumber) -> LookupResult:
        outcomes = await self._fetch_all(id_number)
        statuses = tuple(status for status, _ in outcomes)
        fetched = [records for _, records in outcomes if records is not None]
        return merge(id_number, fetched, statuses)

    async def aclose(self) -> None:
        """Wait briefly for calls abandoned after a timeout, then stop waiting."""
        if self._abandoned:
            await asyncio.wait(self._abandoned, timeout=1.0)

    async def _fetch_all(self, id_number: IdNumber) -> list[tuple[SourceStatus, AgencyRecords | None]]:
        """Call every adapter at once; wait for each until its own timeout, then give up on it.

        An adapter whose cache in this process contains the records (``CachingAdapter.cached``)
        returns them at once, without a task. Every other call gets one task, then one loop
        step in which calls served from Redis complete, and an ``asyncio.wait`` per distinct
        timeout only for the calls still running. A lookup served from the cache thus waits
        on no timer. ``asyncio.wait`` rather than ``asyncio.timeout``: a timeout context waits
        for the cancelled call to unwind, and an adapter that swallows or delays cancellation
        would hold the whole lookup past its deadline.
        """
        started = time.perf_counter()
        finished: dict[RecordAdapter, float] = {}

        async def timed(adapter: RecordAdapter) -> AgencyRecords:
            try:
                return await adapter.fetch_records(id_number)
            finally:
                finished[adapter] = time.perf_counter()

        def start(adapter: RecordAdapter) -> asyncio.Future[AgencyRecords]:
            cached = getattr(adapter, "cached", None)
            hit = cached(id_number) if cached is not None else None
            if hit is None:
                return asyncio.ensure_future(timed(adapter))
            done = asyncio.get_running_loop().create_future()
            done.set_result(hit)
            finished[adapter] = time.perf_counter()
            return done

        calls = [
            (adapter, self.timeouts.get(adapter.agency, DEFAULT_TIMEOUT_S), start(adapter))
            for adapter in self.adapters
        ]
        if not all(task.done() for _, _, task in calls):
            await asyncio.sleep(0)

        pending = {task for _, _, task in calls if not task.done()}
        late: set[asyncio.Future[AgencyRecords]] = set()
        for deadline_s in sorted({timeout_s for _, timeout_s, _ in calls}):
            if not pending:
                break
            remaining_s = deadline_s - (time.perf_counter() - started)
            if remaining_s > 0:
                _, pending = await asyncio.wait(pending, timeout=remaining_s)
            # Calls whose timeout this was are given up on, even if they end before the
            # lookup returns; the rest may still finish.
            late.update(task for _, timeout_s, task in calls if task in pending and timeout_s == deadline_s)
            pending -= late

        return [
            self._settled(
                adapter,
                id_number,
                task,
                timeout_s,
                late,
                finished.get(adapter, started + timeout_s) - started,
            )
            for adapter, timeout_s, task in calls
        ]

    def _settled(
        self,
        adapter: RecordAdapter,
        id_number: IdNumber,
        task: asyncio.Future[AgencyRecords],
        timeout_s: float,
        late: set[asyncio.Future[AgencyRecords]],
        elapsed_s: float,
    ) -> tuple[SourceStatus, AgencyRecords | None]:
        agency = adapter.agency
        latency_ms = elapsed_s * 1000
        if task in late:
            latency_ms = timeout_s * 1000
            self._abandon(task, agency)
            timeout = UpstreamTimeout(agency=agency.value, operation=OPERATION, timeout_s=timeout_s)
            return self._outcome(agency, id_number, FetchStatus.TIMED_OUT, latency_ms, timeout), None

        exc = task.exception()
        if exc is None:
            records = task.result()
            return answered(self._outcome(agency, id_number, FetchStatus.OK, latency_ms), records), records
        if isinstance(exc, UpstreamTimeout):
            return self._outcome(agency, id_number, FetchStatus.TIMED_OUT, latency_ms, exc), None
        if isinstance(exc, UpstreamUnavailable):
            return self._outcome(agency, id_number, FetchStatus.UNAVAILABLE, latency_ms, exc), None
        if isinstance(exc, HubError):
            return self._outcome(agency, id_number, FetchStatus.ERROR, latency_ms, exc), None

        # The contract allows only HubError: anything else is an adapter bug.
        logger.error("adapter %s raised an unexpected error", agency.value, exc_info=exc)
        error = AdapterFailure(agency=agency.value, operation=OPERATION)
        return self._outcome(agency, id_number, FetchStatus.ERROR, latency_ms, error), None

    def _outcome(
        self,
        agency: Agency,
        id_number: IdNumber,
        status: FetchStatus,
        latency_ms: float,
        error: HubError | None = None,
    ) -> SourceStatus:
        code = error.code if error is not None else "-"
        # A part with records is logged by its upstream call, or came from the cache. A
        # missing part is logged at INFO, because a call never made (open breaker, full
        # queue) has no line of its own.
        level = logging.DEBUG if status is FetchStatus.OK else logging.INFO
        if logger.isEnabledFor(level):  # masking the number costs more than the check
            logger.log(
                level,
                "agency=%s operation=%s id_number=%s outcome=%s code=%s ms=%.1f",
                agency.value,
                OPERATION,
                id_number.masked(),
                status.value,
                code,
                latency_ms,
            )
        fetched_at = dt.datetime.now(dt.UTC)
        return SourceStatus(agency, status, fetched_at, round(latency_ms, 1), error)

    def _abandon(self, task: asyncio.Future[AgencyRecords], agency: Agency) -> None:
        task.cancel()
        self._abandoned.add(task)
        task.add_done_callback(lambda finished: self._forget(finished, agency))

    def _forget(self, task: asyncio.Future[AgencyRecords], agency: Agency) -> None:
        self._abandoned.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            logger.info("abandoned call to %s ended with %s", agency.value, type(exc).__name__)


def merge(
    id_number: IdNumber, fetched: Sequence[AgencyRecords], statuses: Sequence[SourceStatus]
) -> LookupResult:
    """Combine the agencies' records into one result, with criminal records kept apart."""
    judgments = [judgment for records in fetched for judgment in records.judgments]
    criminal = [judgment for judgment in judgments if judgment.is_criminal_record]
    other = [judgment for judgment in judgments if not judgment.is_criminal_record]

    case_information = CaseInformation(
        judgments=_by_date(other, lambda j: j.effective_date or j.judgment_date),
        police_cases=_by_date([c for r in fetched for c in r.police_cases], lambda c: c.filed_on),
        coercive_measures=_by_date([m for r in fetched for m in r.coercive_measures], lambda m: m.start_date),
        administrative_detentions=_by_date(
            [d for r in fetched for d in r.administrative_detentions], lambda d: d.start_date
        ),
        custody=_by_date([c for r in fetched for c in r.custody], lambda c: c.admitted_on),
        corrections=_by_date([c for r in fetched for c in r.corrections], lambda c: c.start_date),
    )
    identities = tuple(person for records in fetched for person in records.persons)
    return LookupResult(
        id_number=id_number,
        person=best_identity(id_number, identities),
        identities=identities,
        criminal_records=_by_date(criminal, lambda j: j.effective_date),
        case_information=case_information,
        sources=tuple(statuses),
    )


def best_identity(id_number: IdNumber, identities: Sequence[PersonIdentity]) -> PersonIdentity | None:
    """Pick the identity recorded under the valid ID number, listing every other name seen.

    An identity whose stored ID number matches the one looked up beats one matched only
    through a mistyped or 15-digit form; ties go by ``IDENTITY_PRIORITY``.
    """
    if not identities:
        return None

    def rank(identity: PersonIdentity) -> tuple[int, int]:
        matches = 0 if identity.id_number == id_number.value else 1
        agency = identity.source.agency
        priority = IDENTITY_PRIORITY.index(agency) if agency in IDENTITY_PRIORITY else len(IDENTITY_PRIORITY)
        return matches, priority

    best = min(identities, key=rank)
    names: dict[str, None] = {}
    for identity in identities:
        for name in (identity.name, *identity.other_names):
            if name and name != best.name:
                names[name] = None
    return replace(best, other_names=tuple(names))


def _by_date(items: Sequence[T], key: Callable[[T], dt.date | None]) -> tuple[T, ...]:
    """Sort oldest first; undated items go last, keeping their order."""
    return tuple(sorted(items, key=lambda item: (key(item) is None, key(item) or dt.date.min)))
