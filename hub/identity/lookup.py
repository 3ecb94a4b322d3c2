"""``priorRecords`` through the person index: records linked to the person, not only to the number.

``LinkedLookup.lookup`` runs the usual fan-out (``hub.records.PriorRecordService``) on the
ID number, resolves the number to its hub person, and fetches by local key every linked
record that carries no ID number or another (mistyped) one. Each record is marked with how
it was linked. A judgment reported by the court, the prison and the correction office is
listed once in ``judgments_by_case``, with all its sources.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol, TypeVar, runtime_checkable

from adapters.errors import HubError, UpstreamTimeout
from adapters.idnumber import IdNumber, mask_id_number
from adapters.records import Agency, AgencyRecords, CorrectionRecord, CustodyRecord, Judgment
from hub.identity.service import IdentityService, PersonView
from hub.records import FetchStatus, LookupResult, SourceStatus, merge

logger = logging.getLogger(__name__)
T = TypeVar("T")
# The index's view of a person, its links, and the outcome of each fetch by local key.
_Linked = tuple[PersonView | None, list["RecordLink"], list[tuple[SourceStatus, AgencyRecords | None]]]


class PriorLookup(Protocol):
    async def lookup(self, id_number: IdNumber) -> LookupResult: ...


@runtime_checkable
class LocalKeyFetcher(Protocol):
    agency: Agency

    async def fetch_records_by_local_keys(self, keys: Sequence[str]) -> AgencyRecords: ...


@dataclass(frozen=True, slots=True)
class RecordLink:
    """One index record of the person and how it joined them."""

    agency: str
    local_key: str
    method: str  # id_number | probabilistic | confirmed | single
    score: float | None
    id_number_masked: str | None
    same_id_number: bool  # recorded under the number that was looked up


@dataclass(frozen=True, slots=True)
class JudgmentSources:
    """One judgment (by canonical case number) with every agency that reported it."""

    case_number: str
    judgment: Judgment | None
    agencies: tuple[Agency, ...]
    custody: tuple[CustodyRecord, ...] = ()
    corrections: tuple[CorrectionRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class LinkedLookupResult(LookupResult):
    """A ``LookupResult`` (so sealing and auditing treat it as one) with the index's links."""

    person_id: int | None
    links: tuple[RecordLink, ...]
    judgments_by_case: tuple[JudgmentSources, ...]


class LinkedLookup:
    def __init__(
        self,
        prior: PriorLookup,
        identity: IdentityService,
        fetchers: Iterable[LocalKeyFetcher],
        *,
        timeout_s: float = 3.0,
    ) -> None:
        self.prior = prior
        self.identity = identity
        self.fetchers = {fetcher.agency.value: fetcher for fetcher in fetchers}
        self.timeout_s = timeout_s

    async def lookup(self, id_number: IdNumber) -> LinkedLookupResult:
        """Fetch by ID number and, at the same time, by the index's links to records without it.

        The index is read from the hub's own store, usually in milliseconds, so the linked
        fetches start alongside the fan-out instead of after it. A person with linked records
        then waits for the slower of the two rounds, not for both in turn.
        """
        linked = self._linked_now(id_number)
        if linked is not None:  # no store read and no linked fetch: no tasks to start either
            base = await self.prior.lookup(id_number)
            view, links, outcomes = linked
        else:
            base, (view, links, outcomes) = await asyncio.gather(
                self.prior.lookup(id_number), self._linked(id_number)
            )
        fetched = [records for _, records in outcomes if records is not None]
        extra_statuses = tuple(status for status, _ in outcomes if status.status is not FetchStatus.OK)
        combined = _combine(base, merge(id_number, fetched, ()))
        return LinkedLookupResult(
            id_number=id_number,
            person=combined.person,
            identities=combined.identities,
            criminal_records=combined.criminal_records,
            case_information=combined.case_information,
            sources=combined.sources + extra_statuses,
            person_id=view.person_id if view else None,
            links=tuple(links),
            judgments_by_case=judgments_by_case(combined),
        )

    def _linked_now(self, id_number: IdNumber) -> _Linked | None:
        """Return the person's links if the index view is cached and no agency needs a local-key fetch."""
        cached = self.identity.cached_person_of(id_number)
        if cached is None:
            return None
        view = cached[0]
        links = _links(view, id_number)
        if self._keys_by_agency(links):
            return None
        return view, links, []

    async def _linked(self, id_number: IdNumber) -> _Linked:
        """Read the person's links from the index, then fetch each linked agency's records by local key."""
        view = await self.identity.person_of(id_number)
        links = _links(view, id_number)
        keys_by_agency = self._keys_by_agency(links)
        outcomes = await asyncio.gather(
            *(self._fetch(agency, keys) for agency, keys in keys_by_agency.items())
        )
        return view, links, list(outcomes)

    def _keys_by_agency(self, links: list[RecordLink]) -> dict[str, list[str]]:
        """Group the local keys of linked records kept without this ID number, by agency to ask."""
        keys_by_agency: dict[str, list[str]] = defaultdict(list)
        for link in links:
            if not link.same_id_number and link.agency in self.fetchers:
                keys_by_agency[link.agency].append(link.local_key)
        return keys_by_agency

    async def _fetch(self, agency: str, keys: list[str]) -> tuple[SourceStatus, AgencyRecords | None]:
        fetcher = self.fetchers[agency]
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.timeout_s):
                records = await fetcher.fetch_records_by_local_keys(keys)
            return _status(fetcher.agency, FetchStatus.OK, started), records
        except TimeoutError:
            logger.info(
                "linked fetch from %s timed out after %.1f s (%d keys)", agency, self.timeout_s, len(keys)
            )
            error = UpstreamTimeout(
                agency=agency, operation="fetch_records_by_local_keys", timeout_s=self.timeout_s
            )
            return _status(fetcher.agency, FetchStatus.TIMED_OUT, started, error), None
        except HubError as exc:
            logger.info("linked fetch from %s failed: %s (%d keys)", agency, exc.code, len(keys))
            return _status(fetcher.agency, FetchStatus.ERROR, started, exc), None


def _status(
    agency: Agency, status: FetchStatus, started: float, error: HubError | None = None
) -> SourceStatus:
    latency = round((time.perf_counter() - started) * 1000, 1)
    return SourceStatus(agency, status, dt.datetime.now(dt.UTC), latency, error)


def _links(view: PersonView | None, id_number: IdNumber) -> list[RecordLink]:
    if view is None:
        return []
    return [
        RecordLink(
            agency=r.entry.agency,
            local_key=r.entry.local_key,
            method=r.link_method or "single",
            score=r.link_score,
            id_number_masked=mask_id_number(r.entry.id_number) if r.entry.id_number else None,
            same_id_number=r.entry.id_number == id_number.value,
        )
        for r in view.records
    ]


def _combine(base: LookupResult, extra: LookupResult) -> LookupResult:
    info, more = base.case_information, extra.case_information
    judgments = _unique([*info.judgments, *more.judgments], lambda j: j.case_number.canonical)
    case_information = replace(
        info,
        judgments=judgments,
        police_cases=_unique([*info.police_cases, *more.police_cases], lambda c: c.source),
        coercive_measures=_unique([*info.coercive_measures, *more.coercive_measures], lambda m: m.source),
        administrative_detentions=_unique(
            [*info.administrative_detentions, *more.administrative_detentions], lambda d: d.source
        ),
        custody=_unique([*info.custody, *more.custody], lambda c: c.source),
        corrections=_unique([*info.corrections, *more.corrections], lambda c: c.source),
    )
    criminal = _unique([*base.criminal_records, *extra.criminal_records], lambda j: j.case_number.canonical)
    return replace(base, criminal_records=criminal, case_information=case_information)


def _unique(items: Sequence[T], key: Callable[[T], object]) -> tuple[T, ...]:
    seen: dict[object, T] = {}
    for item in items:
        seen.setdefault(key(item), item)
    return tuple(seen.values())


def judgments_by_case(result: LookupResult) -> tuple[JudgmentSources, ...]:
    """Group judgments, prison stays and correction periods by canonical case number."""
    judgments: dict[str, Judgment] = {}
    agencies: dict[str, dict[Agency, None]] = defaultdict(dict)
    custody: dict[str, list[CustodyRecord]] = defaultdict(list)
    corrections: dict[str, list[CorrectionRecord]] = defaultdict(list)
    for judgment in (*result.criminal_records, *result.case_information.judgments):
        key = judgment.case_number.canonical
        judgments.setdefault(key, judgment)
        agencies[key][judgment.source.agency] = None
    for stay in result.case_information.custody:
        if stay.case_number is not None:
            custody[stay.case_number.canonical].append(stay)
            agencies[stay.case_number.canonical][Agency.PRISON] = None
    for period in result.case_information.corrections:
        if period.case_number is not None:
            corrections[period.case_number.canonical].append(period)
            agencies[period.case_number.canonical][Agency.JUSTICE_BUREAU] = None
    return tuple(
        JudgmentSources(key, judgments.get(key), tuple(found), tuple(custody[key]), tuple(corrections[key]))
        for key, found in agencies.items()
    )
