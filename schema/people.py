"""The person index in GraphQL: ``people`` search, ``hubPerson``, possible matches and decisions.

Resolvers reach ``info.context.people`` (``PeopleDesk``) and check ``info.context.access``
for the operations ``people``, ``hubPerson``, ``possibleMatches`` and ``decideMatch``.
``PeopleQuery`` and ``PeopleMutation`` are merged into the root types by ``schema.build``.
ID numbers arrive masked; names are shown to officers who may search by them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from enum import Enum
from typing import Annotated, Protocol

import strawberry
from strawberry.types import Info

from adapters.errors import IdentityNotFound, InvalidIdentityArgument

REASON_HELP = "操作理由，写入审计 / the operator's reason, kept with the decision"


class IndexRecordView(Protocol):
    @property
    def row_id(self) -> int: ...
    @property
    def agency(self) -> str: ...
    @property
    def local_key(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def other_names(self) -> Sequence[str]: ...
    @property
    def id_number_masked(self) -> str | None: ...
    @property
    def sex_code(self) -> str: ...
    @property
    def sex_conflict(self) -> bool: ...
    @property
    def ethnicity_code(self) -> str | None: ...
    @property
    def birth_date(self) -> dt.date | None: ...
    @property
    def county_code(self) -> str | None: ...
    @property
    def link_method(self) -> str: ...
    @property
    def link_score(self) -> float | None: ...


class PossibleMatchView(Protocol):
    @property
    def record_a(self) -> IndexRecordView: ...
    @property
    def record_b(self) -> IndexRecordView: ...
    @property
    def score(self) -> float: ...
    @property
    def agreed(self) -> Sequence[str]: ...


class HubPersonView(Protocol):
    @property
    def person_id(self) -> int: ...
    @property
    def names(self) -> Sequence[str]: ...
    @property
    def records(self) -> Sequence[IndexRecordView]: ...
    @property
    def possible_matches(self) -> Sequence[PossibleMatchView]: ...


class CandidateView(Protocol):
    @property
    def person_id(self) -> int: ...
    @property
    def score(self) -> float: ...
    @property
    def confidence(self) -> float: ...
    @property
    def outcome(self) -> str: ...
    @property
    def agreed(self) -> Sequence[str]: ...
    @property
    def names(self) -> Sequence[str]: ...
    @property
    def records(self) -> Sequence[IndexRecordView]: ...


class PeopleDesk(Protocol):
    """Service behind this module; ``decide`` acts on behalf of the request's caller."""

    async def search(self, name: str, birth_date: dt.date | None, limit: int) -> Sequence[CandidateView]: ...

    async def person(self, person_id: int) -> HubPersonView | None: ...

    async def possible_matches(self, limit: int) -> Sequence[PossibleMatchView]: ...

    async def decide(
        self, record_a: int, record_b: int, confirmed: bool, reason: str
    ) -> HubPersonView | None: ...


class PeopleAccess(Protocol):
    def authorize(self, operation: str, county: str | Sequence[str] | None = None) -> None: ...


class PeopleContext(Protocol):
    @property
    def people(self) -> PeopleDesk: ...
    @property
    def access(self) -> PeopleAccess: ...


@strawberry.enum(description="关联结论 / outcome of comparing a search or a pair")
class LinkOutcome(Enum):
    MATCH = "match"
    POSSIBLE = "possible"
    NON_MATCH = "non_match"


@strawberry.type(description="人员索引中的一条机关记录 / one agency's record in the person index")
class IndexRecord:
    record_id: strawberry.ID
    agency: str
    local_key: str = strawberry.field(description="the agency's own person key (RYBH, zfbh, id, case number)")
    name: str
    other_names: list[str]
    id_number_masked: str | None
    sex_code: str = strawberry.field(description="GB/T 2261.1")
    sex_conflict: bool = strawberry.field(
        description="stated sex contradicts the ID number; kept as recorded"
    )
    ethnicity_code: str | None = strawberry.field(description="GB 3304")
    birth_date: dt.date | None
    county_code: str | None
    link_method: str = strawberry.field(description="id_number, probabilistic, confirmed or single")
    link_score: float | None = strawberry.field(description="Fellegi–Sunter score that attached it")

    @classmethod
    def from_view(cls, view: IndexRecordView) -> IndexRecord:
        return cls(
            record_id=strawberry.ID(str(view.row_id)),
            agency=view.agency,
            local_key=view.local_key,
            name=view.name,
            other_names=list(view.other_names),
            id_number_masked=view.id_number_masked,
            sex_code=view.sex_code,
            sex_conflict=view.sex_conflict,
            ethnicity_code=view.ethnicity_code,
            birth_date=view.birth_date,
            county_code=view.county_code,
            link_method=view.link_method,
            link_score=view.link_score,
        )


@strawberry.type(description="待人工确认的可能匹配 / a possible match awaiting an operator")
class PossibleMatch:
    record_a: IndexRecord
    record_b: IndexRecord
    score: float
    agreed_fields: list[str]

    @classmethod
    def from_view(cls, view: PossibleMatchView) -> PossibleMatch:
        return cls(
            record_a=IndexRecord.from_view(view.record_a),
            record_b=IndexRecord.from_view(view.record_b),
            score=view.score,
            agreed_fields=list(view.agreed),
        )


@strawberry.type(description="枢纽人员 / one person as the hub links them, with every name and record")
class HubPerson:
    person_id: strawberry.ID
    names: list[str] = strawberry.field(
        description="every name: Yi names, Han school names, confirmed aliases"
    )
    records: list[IndexRecord]
    possible_matches: list[PossibleMatch]

    @classmethod
    def from_view(cls, view: HubPersonView) -> HubPerson:
        return cls(
            person_id=strawberry.ID(str(view.person_id)),
            names=list(view.names),
            records=[IndexRecord.from_view(r) for r in view.records],
            possible_matches=[PossibleMatch.from_view(m) for m in view.possible_matches],
        )


@strawberry.type(description="按姓名查找的候选人 / a candidate for a name and birth-date search")
class PersonCandidate:
    person_id: strawberry.ID
    score: float
    confidence: float = strawberry.field(description="0 to 1")
    outcome: LinkOutcome
    agreed_fields: list[str]
    names: list[str]
    records: list[IndexRecord]


def _record_id(value: strawberry.ID, argument: str) -> int:
    text = str(value)
    if not text.isdigit():
        raise IdentityNotFound("identity.record_not_found", value=text[:40])
    return int(text)


async def resolve_people(
    info: Info[PeopleContext, None],
    name: Annotated[str, strawberry.argument(description="彝族名或汉名 / Yi or Han name, any script")],
    birth_date: dt.date | None = None,
    limit: Annotated[int, strawberry.argument(description="1 to 50")] = 10,
) -> list[PersonCandidate]:
    info.context.access.authorize("people")
    found = await info.context.people.search(name, birth_date, limit)
    return [
        PersonCandidate(
            person_id=strawberry.ID(str(c.person_id)),
            score=c.score,
            confidence=c.confidence,
            outcome=LinkOutcome(c.outcome),
            agreed_fields=list(c.agreed),
            names=list(c.names),
            records=[IndexRecord.from_view(r) for r in c.records],
        )
        for c in found
    ]


async def resolve_hub_person(info: Info[PeopleContext, None], person_id: strawberry.ID) -> HubPerson | None:
    info.context.access.authorize("hubPerson")
    text = str(person_id)
    if not text.isdigit():
        raise IdentityNotFound("identity.person_not_found", value=text[:40])
    view = await info.context.people.person(int(text))
    return HubPerson.from_view(view) if view is not None else None


async def resolve_possible_matches(info: Info[PeopleContext, None], limit: int = 20) -> list[PossibleMatch]:
    info.context.access.authorize("possibleMatches")
    if not 1 <= limit <= 200:
        raise InvalidIdentityArgument("identity.limit", argument="limit", value=limit, maximum=200)
    return [PossibleMatch.from_view(m) for m in await info.context.people.possible_matches(limit)]


async def _decide(
    info: Info[PeopleContext, None],
    record_a: strawberry.ID,
    record_b: strawberry.ID,
    reason: str,
    confirmed: bool,
) -> HubPerson | None:
    info.context.access.authorize("decideMatch")
    a, b = _record_id(record_a, "recordA"), _record_id(record_b, "recordB")
    view = await info.context.people.decide(a, b, confirmed, reason)
    return HubPerson.from_view(view) if view is not None else None


async def resolve_confirm_match(
    info: Info[PeopleContext, None],
    record_a: strawberry.ID,
    record_b: strawberry.ID,
    reason: Annotated[str, strawberry.argument(description=REASON_HELP)],
) -> HubPerson | None:
    return await _decide(info, record_a, record_b, reason, True)


async def resolve_reject_match(
    info: Info[PeopleContext, None],
    record_a: strawberry.ID,
    record_b: strawberry.ID,
    reason: Annotated[str, strawberry.argument(description=REASON_HELP)],
) -> HubPerson | None:
    return await _decide(info, record_a, record_b, reason, False)


@strawberry.type
class PeopleQuery:
    people: list[PersonCandidate] = strawberry.field(
        resolver=resolve_people,
        description="无身份证号时按姓名（及出生日期）查找人员 / find people by name and birth date",
    )
    hub_person: HubPerson | None = strawberry.field(
        resolver=resolve_hub_person, description="一个枢纽人员及其全部记录 / one hub person and every record"
    )
    possible_matches: list[PossibleMatch] = strawberry.field(
        resolver=resolve_possible_matches,
        description="待确认的可能匹配，分值高者在前 / possible matches, best first",
    )


@strawberry.type
class PeopleMutation:
    confirm_match: HubPerson | None = strawberry.mutation(
        resolver=resolve_confirm_match,
        description="确认两条记录为同一人；重新关联后仍然有效 / confirm a pair; survives every relink",
    )
    reject_match: HubPerson | None = strawberry.mutation(
        resolver=resolve_reject_match,
        description="否定两条记录为同一人；重新关联后仍然有效 / reject a pair; survives every relink",
    )
