"""The GraphQL request context: the caller's principal, and the services bound to it.

Each request gets its own context; the services in it act for the caller, so the schema
never handles a ``Principal`` itself. Meets ``schema.HubContext``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from adapters.errors import InvalidArgument, Unauthenticated
from adapters.idnumber import IdNumber
from hub.audit import AUDIT_KINDS, REFUSAL_REASONS, AuditEntry, ReturnedRecord, subject_hash
from hub.audit_read import AuditPage, AuditQuery, read_entries
from hub.auth import Principal
from hub.identity.desk import PeopleDesk, SearchRecorder
from hub.identity.service import IdentityService
from hub.lookups import AuditedLookup, LookupService
from hub.notices.views import NoticeIndicators, NoticePage, NoticeService, NoticeView
from hub.policy import authorize, granting_role, jurisdiction
from hub.source_health import SourceHealthDesk
from hub.store import Store
from schema import PartialError
from schema.context import AuditFilter, NoticeFilter


@dataclass(frozen=True, slots=True)
class PrincipalAccess:
    """``schema.context.Access`` over ``hub.policy`` for one principal."""

    principal: Principal

    @property
    def user_id(self) -> str:
        return self.principal.user_id

    def authorize(self, operation: str, county: str | Sequence[str] | None = None) -> None:
        authorize(self.principal, operation, county)

    def allows(self, operation: str, county: str | Sequence[str] | None = None) -> bool:
        return granting_role(self.principal, operation, county) is not None

    def jurisdiction(self, operation: str) -> str | None:
        return jurisdiction(self.principal, operation)


@dataclass(frozen=True, slots=True)
class CallerLookups:
    service: LookupService
    principal: Principal

    async def lookup(
        self, id_number: IdNumber, purpose: str, case_number: str | None, legal_basis: str | None
    ) -> AuditedLookup:
        return await self.service.lookup(
            self.principal, id_number, purpose, case_number=case_number, legal_basis=legal_basis
        )

    async def lookup_many(
        self, id_numbers: Sequence[IdNumber], purpose: str, case_number: str | None, legal_basis: str | None
    ) -> list[AuditedLookup]:
        return await self.service.lookup_many(
            self.principal, id_numbers, purpose, case_number=case_number, legal_basis=legal_basis
        )


@dataclass(frozen=True, slots=True)
class CallerNotices:
    service: NoticeService
    principal: Principal

    async def list_notices(self, filter: NoticeFilter, first: int, after: str | None) -> NoticePage:
        return await self.service.list_notices(filter, first, after)

    async def get_notice(self, notice_id: int) -> NoticeView:
        return await self.service.get_notice(notice_id)

    async def acknowledge_receipt(self, notice_id: int, received_on: dt.date | None) -> NoticeView:
        return await self.service.acknowledge_receipt(notice_id, received_on, self.principal)

    async def record_reporting(self, notice_id: int, reported_on: dt.date) -> NoticeView:
        return await self.service.record_reporting(notice_id, reported_on, self.principal)

    async def redeliver_notice(self, notice_id: int) -> NoticeView:
        return await self.service.redeliver_notice(notice_id, self.principal)

    async def indicators(
        self, period_start: dt.date, period_end: dt.date, county_code: str | None
    ) -> NoticeIndicators:
        return await self.service.indicators(period_start, period_end, county_code)

    def changes(self, county_code: str | None) -> AsyncIterator[NoticeView]:
        return self.service.changes(county_code)


@dataclass(frozen=True, slots=True)
class AuditDesk:
    store: Store
    subject_key: bytes = field(repr=False)

    async def entries(self, filter: AuditFilter, before: int | None, first: int) -> AuditPage:
        if filter.kind is not None and filter.kind not in AUDIT_KINDS:
            # A mistyped kind would match nothing and look like an empty log.
            kinds = ", ".join(AUDIT_KINDS)
            raise InvalidArgument("audit.kind", argument="kind", value=filter.kind, kinds=kinds)
        if filter.refusal is not None and filter.refusal not in REFUSAL_REASONS:
            raise InvalidArgument("audit.refusal", argument="refusal", value=filter.refusal)
        subject = filter.subject_id_number
        query = AuditQuery(
            actor_id=filter.actor_id,
            unit_agency=filter.unit_agency,
            unit_county=filter.unit_county,
            kind=filter.kind,
            operation=filter.operation,
            purpose=filter.purpose,
            case_number=filter.case_number,
            subject_hash=subject_hash(subject.value, self.subject_key) if subject else None,
            notice_id=filter.notice_id,
            refusal=filter.refusal,
            since=filter.since,
            until=filter.until,
        )
        async with self.store.read() as conn:
            return await read_entries(conn, query, before=before, limit=first)


@dataclass(frozen=True, slots=True)
class Services:
    """The app's services, shared by every request."""

    lookups: LookupService
    notices: NoticeService
    audit: AuditDesk
    identity: IdentityService
    sources: SourceHealthDesk


@dataclass(slots=True)
class RequestContext:
    """``info.context`` for one GraphQL request or WebSocket connection.

    A WebSocket context starts without a principal; ``connection_init`` supplies it.
    """

    services: Services
    language: str
    principal: Principal | None = None
    connection_params: dict[str, object] | None = None
    partial_errors: list[PartialError] = field(default_factory=list)

    @property
    def caller(self) -> Principal:
        if self.principal is None:
            raise Unauthenticated()
        return self.principal

    @property
    def access(self) -> PrincipalAccess:
        return PrincipalAccess(self.caller)

    @property
    def records(self) -> CallerLookups:
        return CallerLookups(self.services.lookups, self.caller)

    @property
    def notices(self) -> CallerNotices:
        return CallerNotices(self.services.notices, self.caller)

    @property
    def people(self) -> PeopleDesk:
        caller = self.caller
        return PeopleDesk(
            self.services.identity, caller.user_id, search_recorder(self.services.lookups, caller)
        )

    @property
    def audit(self) -> AuditDesk:
        self.caller  # noqa: B018 - an unauthenticated context reaches no service
        return self.services.audit

    @property
    def sources(self) -> SourceHealthDesk:
        self.caller  # noqa: B018 - an unauthenticated context reaches no service
        return self.services.sources


def search_recorder(lookups: LookupService, principal: Principal) -> SearchRecorder:
    """Return a recorder that audits one people search or person view by ``principal``.

    A search has no subject ID number; the entry lists the index records it returned.
    """

    async def record(operation: str, records: Sequence[tuple[str, str]]) -> None:
        role = granting_role(principal, operation, None)
        entry = AuditEntry(
            kind="lookup",
            operation=operation,
            recorded_at=dt.datetime.now(dt.UTC),
            actor_id=principal.user_id,
            unit_agency=principal.unit.agency.value,
            unit_county=principal.unit.county,
            role=role.value if role is not None else principal.role_label,
            agencies_answered=tuple(sorted({agency for agency, _ in records})),
            returned=tuple(ReturnedRecord(agency, key, False) for agency, key in records),
        )
        await lookups.record([entry])

    return record
