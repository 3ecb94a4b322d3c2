"""The ``auditEntries`` query: the hub's audit log for auditors, newest first.

A county-level auditor reads the entries of units in their own county; a prefecture-level
auditor reads every entry. People are found by ID number, which the hub turns into the keyed
hash the log stores: neither the number nor a name is ever in the log.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry
from strawberry.types import Info

from adapters.errors import InvalidNoticeArgument
from adapters.idnumber import parse_id_number
from schema.context import AuditEntryView, AuditFilter, AuditRecordView, HubContext

MAX_PAGE = 200
DEFAULT_PAGE = 50
# A copy of ``hub.audit.REFUSAL_REASONS``, because the schema does not import the hub's services.
REFUSALS_LISTED = (
    "OPERATION, COUNTY, PURPOSE_ROLE, CASE_COURT, PURPOSE_MISSING, CASE_NUMBER_MISSING,"
    " CASE_NUMBER_INVALID, QUOTA or OTHER"
)


@strawberry.type(description="查询返回的一条记录 / one record a lookup returned")
class ReturnedRecord:
    agency: str
    local_reference: str
    sealed: bool = strawberry.field(description="a sealed juvenile record (CPL art. 286)")


@strawberry.type(description="审计记录 / one hash-chained audit entry")
class AuditEntry:
    sequence: int
    entry_hash: str = strawberry.field(description="SHA-256 of the entry and the previous hash (hex)")
    kind: str = strawberry.field(description="lookup, lookup_refused or notice_state")
    operation: str
    recorded_at: dt.datetime
    actor_id: str
    unit_agency: str
    unit_county: str
    role: str
    purpose: str | None
    legal_basis: str | None
    case_number: str | None
    subject_hash: str | None = strawberry.field(description="keyed hash of the subject's ID number")
    agencies_answered: list[str]
    returned: list[ReturnedRecord]
    sealed_access: bool = strawberry.field(description="the lookup returned a sealed record")
    notice_id: int | None
    notice_from: str | None
    notice_to: str | None
    refusal: str | None = strawberry.field(
        description="拒绝查询的规则 / for lookup_refused, the rule that rejected it: " + REFUSALS_LISTED
    )

    @classmethod
    def from_record(cls, record: AuditRecordView) -> AuditEntry:
        entry: AuditEntryView = record.entry
        returned = [
            ReturnedRecord(agency=r.agency, local_reference=r.local_reference, sealed=r.sealed)
            for r in entry.returned
        ]
        return cls(
            sequence=record.sequence,
            entry_hash=record.entry_hash,
            kind=entry.kind,
            operation=entry.operation,
            recorded_at=entry.recorded_at,
            actor_id=entry.actor_id,
            unit_agency=entry.unit_agency,
            unit_county=entry.unit_county,
            role=entry.role,
            purpose=entry.purpose,
            legal_basis=entry.legal_basis,
            case_number=entry.case_number,
            subject_hash=entry.subject_hash,
            agencies_answered=list(entry.agencies_answered),
            returned=returned,
            sealed_access=any(r.sealed for r in returned),
            notice_id=entry.notice_id,
            notice_from=entry.notice_from,
            notice_to=entry.notice_to,
            refusal=entry.refusal,
        )


@strawberry.type(description="一页审计记录 / one page of audit entries, newest first")
class AuditEntryConnection:
    items: list[AuditEntry]
    next_before: int | None = strawberry.field(
        description="`before` for the next (older) page; null at the end"
    )


@strawberry.input(name="AuditFilter", description="审计记录筛选条件 / criteria; omitted ones do not narrow")
class AuditFilterInput:
    actor_id: str | None = None
    unit_agency: str | None = None
    unit_county: str | None = None
    kind: str | None = None
    operation: str | None = None
    purpose: str | None = None
    case_number: str | None = None
    subject_id_number: str | None = strawberry.field(
        default=None, description="the subject's resident ID number; matched by its keyed hash"
    )
    notice_id: int | None = None
    refusal: str | None = strawberry.field(
        default=None, description="按拒绝原因筛选 / lookups rejected by this rule: " + REFUSALS_LISTED
    )
    since: dt.datetime | None = strawberry.field(default=None, description="inclusive")
    until: dt.datetime | None = strawberry.field(default=None, description="exclusive")

    def to_filter(self, unit_county: str | None) -> AuditFilter:
        subject = parse_id_number(self.subject_id_number) if self.subject_id_number else None
        return AuditFilter(
            actor_id=self.actor_id,
            unit_agency=self.unit_agency,
            unit_county=unit_county,
            kind=self.kind,
            operation=self.operation,
            purpose=self.purpose,
            case_number=self.case_number,
            subject_id_number=subject,
            notice_id=self.notice_id,
            refusal=self.refusal,
            since=_aware(self.since),
            until=_aware(self.until),
        )


async def resolve_audit_entries(
    info: Info[HubContext, None],
    filter: AuditFilterInput | None = None,
    first: Annotated[int, strawberry.argument(description="page size, 1 to 200")] = DEFAULT_PAGE,
    before: Annotated[int | None, strawberry.argument(description="nextBefore of the previous page")] = None,
) -> AuditEntryConnection:
    access = info.context.access
    criteria = filter or AuditFilterInput()
    own = access.jurisdiction("auditEntries")
    county = criteria.unit_county or own
    access.authorize("auditEntries", county)
    if not 1 <= first <= MAX_PAGE:
        raise InvalidNoticeArgument("notices.first", argument="first", value=first, maximum=MAX_PAGE)

    page = await info.context.audit.entries(criteria.to_filter(county), before, first)
    return AuditEntryConnection(
        items=[AuditEntry.from_record(record) for record in page.records], next_before=page.next_before
    )


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=dt.UTC)
