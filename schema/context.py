"""Protocols for the request context (``info.context``) that resolvers rely on.

``hub/app.py`` builds the real context per request; tests may pass any object of the
same shape. Nothing here imports ``hub``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from graphql import FieldNode
from strawberry.types import Info

from adapters.errors import HubError
from adapters.idnumber import IdNumber
from adapters.records import (
    AdministrativeDetention,
    Agency,
    CoerciveMeasure,
    CorrectionRecord,
    CustodyRecord,
    Judgment,
    PersonIdentity,
    PoliceCase,
)


class SourceOutcome(Protocol):
    """Outcome of one agency call; ``status`` is ``ok``, ``timed_out``, ``unavailable`` or ``error``."""

    @property
    def agency(self) -> Agency: ...
    @property
    def status(self) -> str: ...
    @property
    def fetched_at(self) -> dt.datetime: ...
    @property
    def latency_ms(self) -> float: ...
    @property
    def error(self) -> HubError | None: ...
    @property
    def cached(self) -> bool: ...


class CaseInformationView(Protocol):
    @property
    def judgments(self) -> Sequence[Judgment]: ...
    @property
    def police_cases(self) -> Sequence[PoliceCase]: ...
    @property
    def coercive_measures(self) -> Sequence[CoerciveMeasure]: ...
    @property
    def administrative_detentions(self) -> Sequence[AdministrativeDetention]: ...
    @property
    def custody(self) -> Sequence[CustodyRecord]: ...
    @property
    def corrections(self) -> Sequence[CorrectionRecord]: ...


class PriorRecordsView(Protocol):
    @property
    def id_number(self) -> IdNumber: ...
    @property
    def person(self) -> PersonIdentity | None: ...
    @property
    def criminal_records(self) -> Sequence[Judgment]: ...
    @property
    def case_information(self) -> CaseInformationView: ...
    @property
    def sources(self) -> Sequence[SourceOutcome]: ...
    @property
    def links(self) -> Sequence[RecordLinkView]: ...
    def reporters(self, judgment: Judgment) -> Sequence[Agency]:
        """Agencies whose visible records carry the judgment's case number."""
        ...

    def seal_basis(self, judgment: Judgment) -> str | None:
        """Legal basis of the judgment's seal; None when it is not sealed."""
        ...


class RecordLinkView(Protocol):
    @property
    def agency(self) -> str: ...
    @property
    def local_key(self) -> str: ...
    @property
    def method(self) -> str: ...
    @property
    def score(self) -> float | None: ...
    @property
    def id_number_masked(self) -> str | None: ...
    @property
    def same_id_number(self) -> bool: ...


class PriorRecordLookup(Protocol):
    """Service behind ``priorRecords``, bound to the caller: it checks the policy and the stated
    purpose, hides sealed records the purpose does not open, and audits the lookup.

    A failing agency must show up in ``sources``, not as an exception.
    """

    async def lookup(
        self, id_number: IdNumber, purpose: str, case_number: str | None, legal_basis: str | None
    ) -> PriorRecordsView: ...

    async def lookup_many(
        self, id_numbers: Sequence[IdNumber], purpose: str, case_number: str | None, legal_basis: str | None
    ) -> Sequence[PriorRecordsView]:
        """Return one view per distinct number, in order, each person checked and audited as by ``lookup``."""
        ...


class Access(Protocol):
    """The caller's rights under the hub's deny-by-default policy.

    ``county`` is the county the data belongs to, or several (any grants); None means data of
    no county or of every county. Operation names are the schema's field names.
    """

    @property
    def user_id(self) -> str: ...

    def authorize(self, operation: str, county: str | Sequence[str] | None = None) -> None:
        """Raise ``Forbidden`` unless the caller may run ``operation`` for ``county``."""
        ...

    def allows(self, operation: str, county: str | Sequence[str] | None = None) -> bool: ...

    def jurisdiction(self, operation: str) -> str | None:
        """None when the caller's grant spans the prefecture, else their county; ``Forbidden`` if none."""
        ...


@dataclass(frozen=True, slots=True)
class PartialError:
    """An error reported beside data that still comes back, at ``path`` in the response.

    ``nodes`` are the query's field nodes the error belongs to, so that it carries their
    ``locations`` like any other field error.
    """

    error: HubError
    path: tuple[str | int, ...]
    nodes: tuple[FieldNode, ...] = ()


def field_nodes(info: Info[Any, Any]) -> tuple[FieldNode, ...]:
    """Return the query's nodes of the field being resolved, for a ``PartialError``.

    strawberry's ``Info`` has no public accessor for them; graphql-core's resolve info has.
    """
    return tuple(info._raw_info.field_nodes)


@dataclass(frozen=True, slots=True)
class NoticeFilter:
    """Criteria of the ``notices`` list; None leaves a criterion out. Dates are inclusive."""

    county_code: str | None = None
    status: str | None = None
    overdue: bool | None = None
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None


class NoticeRecord(Protocol):
    """One correction notice as operators see it: identities masked, deadlines computed."""

    @property
    def id(self) -> int: ...
    @property
    def case_number(self) -> str: ...
    @property
    def case_number_raw(self) -> str: ...
    @property
    def court_name(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def attention_reason(self) -> str | None: ...
    @property
    def correction_type(self) -> str | None: ...
    @property
    def county_code(self) -> str | None: ...
    @property
    def bureau_county_code(self) -> str | None: ...
    @property
    def person_name_masked(self) -> str: ...
    @property
    def id_number_masked(self) -> str | None: ...
    @property
    def effective_date(self) -> dt.date | None: ...
    @property
    def notice_due(self) -> dt.date | None: ...
    @property
    def documents_due(self) -> dt.date | None: ...
    @property
    def reporting_due(self) -> dt.date | None: ...
    @property
    def receipt_due(self) -> dt.date | None: ...
    @property
    def overdue_items(self) -> Sequence[str]: ...
    @property
    def attempts(self) -> int: ...
    @property
    def last_error(self) -> str | None: ...
    @property
    def next_attempt_at(self) -> dt.datetime | None: ...
    @property
    def delivered_at(self) -> dt.datetime | None: ...
    @property
    def receipt_at(self) -> dt.datetime | None: ...
    @property
    def reported_on(self) -> dt.date | None: ...
    @property
    def created_at(self) -> dt.datetime: ...
    @property
    def updated_at(self) -> dt.datetime: ...
    @property
    def counties(self) -> Sequence[str]:
        """Counties the notice belongs to (receiving bureau, place of execution, issuing court)."""
        ...


class NoticePageView(Protocol):
    @property
    def items(self) -> Sequence[NoticeRecord]: ...
    @property
    def next_cursor(self) -> str | None: ...


class NoticeIndicatorsView(Protocol):
    """Counts over the notices whose judgments took effect in a period; shares are None over zero."""

    @property
    def period_start(self) -> dt.date: ...
    @property
    def period_end(self) -> dt.date: ...
    @property
    def county_code(self) -> str | None: ...
    @property
    def total(self) -> int: ...
    @property
    def counts_by_status(self) -> Sequence[tuple[str, int]]: ...
    @property
    def for_bureau(self) -> int: ...
    @property
    def sent_on_time(self) -> int: ...
    @property
    def sent_on_time_share(self) -> float | None: ...
    @property
    def with_receipt(self) -> int: ...
    @property
    def receipt_share(self) -> float | None: ...
    @property
    def received_by_reporting_due(self) -> int: ...
    @property
    def received_by_reporting_due_share(self) -> float | None: ...
    @property
    def reported_in_time(self) -> int: ...
    @property
    def reporting_known(self) -> int: ...
    @property
    def reported_in_time_share(self) -> float | None: ...


class NoticeDesk(Protocol):
    """Service behind the notice queries, the notice mutations and ``noticeChanged``.

    Invalid arguments raise ``InvalidNoticeArgument``; an unknown id raises ``NoticeNotFound``.
    """

    async def list_notices(self, filter: NoticeFilter, first: int, after: str | None) -> NoticePageView: ...

    async def get_notice(self, notice_id: int) -> NoticeRecord: ...

    async def acknowledge_receipt(self, notice_id: int, received_on: dt.date | None) -> NoticeRecord:
        """Mark received on behalf of the request's caller, auditing the change."""
        ...

    async def record_reporting(self, notice_id: int, reported_on: dt.date) -> NoticeRecord:
        """Record the day the person reported in, on behalf of the request's caller, audited."""
        ...

    async def redeliver_notice(self, notice_id: int) -> NoticeRecord:
        """Make a FAILING or PENDING notice due for the next delivery run, for the caller, audited."""
        ...

    async def indicators(
        self, period_start: dt.date, period_end: dt.date, county_code: str | None
    ) -> NoticeIndicatorsView: ...

    def changes(self, county_code: str | None) -> AsyncIterator[NoticeRecord]: ...


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Criteria of ``auditEntries``; None leaves one out. Times are aware; ``until`` is exclusive."""

    actor_id: str | None = None
    unit_agency: str | None = None
    unit_county: str | None = None
    kind: str | None = None
    operation: str | None = None
    purpose: str | None = None
    case_number: str | None = None
    subject_id_number: IdNumber | None = None
    notice_id: int | None = None
    refusal: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


class ReturnedRecordView(Protocol):
    @property
    def agency(self) -> str: ...
    @property
    def local_reference(self) -> str: ...
    @property
    def sealed(self) -> bool: ...


class AuditEntryView(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def operation(self) -> str: ...
    @property
    def recorded_at(self) -> dt.datetime: ...
    @property
    def actor_id(self) -> str: ...
    @property
    def unit_agency(self) -> str: ...
    @property
    def unit_county(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def purpose(self) -> str | None: ...
    @property
    def legal_basis(self) -> str | None: ...
    @property
    def case_number(self) -> str | None: ...
    @property
    def subject_hash(self) -> str | None: ...
    @property
    def agencies_answered(self) -> Sequence[str]: ...
    @property
    def returned(self) -> Sequence[ReturnedRecordView]: ...
    @property
    def notice_id(self) -> int | None: ...
    @property
    def notice_from(self) -> str | None: ...
    @property
    def notice_to(self) -> str | None: ...
    @property
    def refusal(self) -> str | None: ...


class AuditRecordView(Protocol):
    """One audit entry as ``hub.audit_read`` returns it: ``sequence``, ``entry_hash``, ``entry``."""

    @property
    def sequence(self) -> int: ...
    @property
    def entry_hash(self) -> str: ...
    @property
    def entry(self) -> AuditEntryView: ...


class AuditPageView(Protocol):
    @property
    def records(self) -> Sequence[AuditRecordView]: ...
    @property
    def next_before(self) -> int | None: ...


class AuditDesk(Protocol):
    async def entries(self, filter: AuditFilter, before: int | None, first: int) -> AuditPageView: ...


class HubContext(Protocol):
    """The request context: services, the client's language (``zh`` or ``en``), partial errors.

    Resolvers append to ``partial_errors`` instead of raising when the field still has data
    to return. The ``HubErrors`` extension turns each entry into an entry of ``errors``.
    """

    @property
    def records(self) -> PriorRecordLookup: ...
    @property
    def notices(self) -> NoticeDesk: ...
    @property
    def access(self) -> Access: ...
    @property
    def audit(self) -> AuditDesk: ...
    @property
    def language(self) -> str: ...
    @property
    def partial_errors(self) -> list[PartialError]: ...
