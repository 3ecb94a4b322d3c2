"""``schema.people.PeopleDesk`` for one request: the identity service acting for its caller."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from adapters.idnumber import mask_id_number
from hub.identity.index import IndexedRecord
from hub.identity.service import IdentityService, PersonMatch, PersonView, PossibleMatch


@dataclass(frozen=True, slots=True)
class RecordView:
    row_id: int
    agency: str
    local_key: str
    name: str
    other_names: tuple[str, ...]
    id_number_masked: str | None
    sex_code: str
    sex_conflict: bool
    ethnicity_code: str | None
    birth_date: dt.date | None
    county_code: str | None
    link_method: str
    link_score: float | None


@dataclass(frozen=True, slots=True)
class PairView:
    record_a: RecordView
    record_b: RecordView
    score: float
    agreed: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class HubPersonView:
    person_id: int
    names: tuple[str, ...]
    records: tuple[RecordView, ...]
    possible_matches: tuple[PairView, ...]


@dataclass(frozen=True, slots=True)
class CandidateView:
    person_id: int
    score: float
    confidence: float
    outcome: str
    agreed: tuple[str, ...]
    names: tuple[str, ...]
    records: tuple[RecordView, ...]


def record_view(record: IndexedRecord) -> RecordView:
    entry = record.entry
    number = entry.id_number or entry.id_number_recorded
    return RecordView(
        row_id=record.row_id,
        agency=entry.agency,
        local_key=entry.local_key,
        name=entry.name,
        other_names=entry.other_names,
        id_number_masked=mask_id_number(number) if number else None,
        sex_code=entry.sex_code,
        sex_conflict=entry.sex_conflict,
        ethnicity_code=entry.ethnicity_code,
        birth_date=entry.birth_date,
        county_code=entry.county_code,
        link_method=record.link_method or "single",
        link_score=record.link_score,
    )


def pair_view(match: PossibleMatch) -> PairView:
    return PairView(record_view(match.record_a), record_view(match.record_b), match.score, match.agreed)


def person_view(view: PersonView) -> HubPersonView:
    return HubPersonView(
        person_id=view.person_id,
        names=view.names,
        records=tuple(record_view(r) for r in view.records),
        possible_matches=tuple(pair_view(m) for m in view.possible_matches),
    )


def candidate_view(match: PersonMatch) -> CandidateView:
    return CandidateView(
        person_id=match.person_id,
        score=match.score,
        confidence=match.confidence,
        outcome=match.outcome.value,
        agreed=match.agreed,
        names=match.names,
        records=tuple(record_view(r) for r in match.records),
    )


# Writes one audit entry for a search: the operation and the index records it returned
# as (agency, local key) pairs. ``hub.context`` supplies it, bound to the caller.
SearchRecorder = Callable[[str, Sequence[tuple[str, str]]], Awaitable[None]]


class PeopleDesk:
    """The request's ``people`` service; ``operator`` is the caller's actor id, kept with decisions.

    Searches and person views are lookups of people, so each is audited through ``recorder``
    before its result is returned.
    """

    def __init__(
        self, service: IdentityService, operator: str, recorder: SearchRecorder | None = None
    ) -> None:
        self.service = service
        self.operator = operator
        self.recorder = recorder

    async def search(self, name: str, birth_date: dt.date | None, limit: int) -> list[CandidateView]:
        found = [candidate_view(m) for m in await self.service.search(name, birth_date, limit)]
        await self._record("people", [(r.agency, r.local_key) for c in found for r in c.records])
        return found

    async def person(self, person_id: int) -> HubPersonView | None:
        view = await self.service.person(person_id)
        shown = person_view(view) if view is not None else None
        records = [(r.agency, r.local_key) for r in shown.records] if shown is not None else []
        await self._record("hubPerson", records)
        return shown

    async def _record(self, operation: str, records: Sequence[tuple[str, str]]) -> None:
        if self.recorder is not None:
            await self.recorder(operation, records)

    async def possible_matches(self, limit: int) -> list[PairView]:
        return [pair_view(m) for m in await self.service.possible_matches(limit)]

    async def decide(
        self, record_a: int, record_b: int, confirmed: bool, reason: str
    ) -> HubPersonView | None:
        view = await self.service.decide(
            record_a, record_b, confirmed=confirmed, operator=self.operator, reason=reason
        )
        return person_view(view) if view is not None else None
