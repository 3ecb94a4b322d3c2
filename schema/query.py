"""The ``priorRecords`` query: one person's criminal records and case information.

A failed agency does not fail the query. Its records are missing from the result, its
entry in ``sources`` gives the reason, and its error is added to ``errors`` through the
request context's ``partial_errors`` (see ``schema.errors.HubErrors``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry
from strawberry.types import Info

from adapters.errors import BatchTooLarge, InvalidIdNumber
from adapters.idnumber import IdNumber, parse_id_number
from schema.audit import AuditEntryConnection, resolve_audit_entries
from schema.context import (
    CaseInformationView,
    HubContext,
    PartialError,
    PriorRecordsView,
    SourceOutcome,
    field_nodes,
)
from schema.enums import Agency, Purpose, SourceStatus
from schema.notices import (
    Notice,
    NoticeConnection,
    NoticeIndicators,
    resolve_indicators,
    resolve_notice,
    resolve_notices,
)
from schema.types import (
    AdministrativeDetention,
    CoerciveMeasure,
    CorrectionRecord,
    CriminalRecord,
    CustodyRecord,
    Judgment,
    Person,
    PoliceCase,
    RecordLink,
)

CASE_NUMBER_HELP = "案号或案件编号；办案、审查起诉、审判等目的必填 / case number; required by case purposes"
LEGAL_BASIS_HELP = "法律依据；不填时按查询目的取默认条文 / legal basis; defaults by purpose"
# The service's own limit, hub.batch.MAX_BATCH. The service counts distinct people, so the
# same person in several forms counts once. Here a list longer than twice that is refused
# before any number is parsed.
MAX_BATCH = 100
MAX_BATCH_ENTRIES = 2 * MAX_BATCH
ID_NUMBER_HELP = "公民身份号码，18 位或旧 15 位 / resident ID number, 18 characters or legacy 15 digits"


@strawberry.type(description="查询失败原因 / why an agency call failed")
class SourceError:
    code: str = strawberry.field(description="stable English code, e.g. UPSTREAM_TIMEOUT")
    message: str = strawberry.field(description="zh-CN unless the request asked for English")


@strawberry.type(description="一个机关本次查询的结果 / how one agency call went")
class Source:
    agency: Agency
    status: SourceStatus
    fetched_at: dt.datetime = strawberry.field(
        description="机关返回记录的时间（UTC），取自缓存的记录亦为当初返回的时间 / UTC time the agency"
        " returned the records (for cached records, when they were first fetched) or the call was abandoned"
    )
    latency_ms: float = strawberry.field(description="milliseconds the hub waited for this agency")
    from_cache: bool = strawberry.field(
        description="记录取自枢纽缓存 / records read from the hub's cache, fetched at fetchedAt"
    )
    error: SourceError | None

    @classmethod
    def from_outcome(cls, outcome: SourceOutcome, language: str) -> Source:
        error = outcome.error
        return cls(
            agency=outcome.agency,
            status=SourceStatus(str(outcome.status)),
            fetched_at=outcome.fetched_at,
            latency_ms=outcome.latency_ms,
            from_cache=outcome.cached,
            error=None if error is None else SourceError(code=error.code, message=error.render(language)),
        )


@strawberry.type(description="案件信息 / case information: everything that is not a criminal record")
class CaseInformation:
    judgments: list[Judgment] = strawberry.field(
        description="judgments that are not criminal records: acquittals, judgments not yet in effect"
    )
    police_cases: list[PoliceCase]
    coercive_measures: list[CoerciveMeasure]
    administrative_detentions: list[AdministrativeDetention]
    custody: list[CustodyRecord]
    corrections: list[CorrectionRecord]

    @classmethod
    def from_view(cls, view: CaseInformationView) -> CaseInformation:
        return cls(
            judgments=[Judgment.from_record(judgment) for judgment in view.judgments],
            police_cases=[PoliceCase.from_record(case) for case in view.police_cases],
            coercive_measures=[CoerciveMeasure.from_record(measure) for measure in view.coercive_measures],
            administrative_detentions=[
                AdministrativeDetention.from_record(detention) for detention in view.administrative_detentions
            ],
            custody=[CustodyRecord.from_record(custody) for custody in view.custody],
            corrections=[CorrectionRecord.from_record(correction) for correction in view.corrections],
        )


@strawberry.type(description="前科查询结果 / prior records of one person")
class PriorRecords:
    id_number: str = strawberry.field(description="normalised 18-character resident ID number")
    person: Person | None
    criminal_records: list[CriminalRecord]
    case_information: CaseInformation
    sources: list[Source]
    links: list[RecordLink] = strawberry.field(
        description="人员索引中与此人关联、且本次返回了记录的机关记录 / the person index's records of this"
        " person at agencies that returned records here, with how each was linked"
    )

    @classmethod
    def from_view(cls, view: PriorRecordsView, language: str) -> PriorRecords:
        return cls(
            id_number=view.id_number.value,
            person=None if view.person is None else Person.from_record(view.person),
            criminal_records=[
                CriminalRecord.with_reporters(judgment, view.reporters(judgment), view.seal_basis(judgment))
                for judgment in view.criminal_records
            ],
            case_information=CaseInformation.from_view(view.case_information),
            sources=[Source.from_outcome(outcome, language) for outcome in view.sources],
            links=[
                RecordLink(
                    agency=Agency(link.agency),
                    local_key=link.local_key,
                    method=link.method,
                    score=link.score,
                    id_number_masked=link.id_number_masked,
                    same_id_number=link.same_id_number,
                )
                for link in view.links
            ],
        )


async def resolve_prior_records(
    info: Info[HubContext, None],
    id_number: Annotated[str, strawberry.argument(description=ID_NUMBER_HELP)],
    purpose: Annotated[Purpose, strawberry.argument(description="查询目的 / why the lookup is made")],
    case_number: Annotated[str | None, strawberry.argument(description=CASE_NUMBER_HELP)] = None,
    legal_basis: Annotated[str | None, strawberry.argument(description=LEGAL_BASIS_HELP)] = None,
) -> PriorRecords | None:
    context = info.context
    # The service checks the caller's grant, so that a refusal is audited with its subject.
    parsed = parse_id_number(id_number)
    view = await context.records.lookup(parsed, purpose.value, case_number, legal_basis)

    path = tuple(info.path.as_list())
    for outcome in view.sources:
        if outcome.error is not None:
            context.partial_errors.append(PartialError(outcome.error, path, field_nodes(info)))
    return PriorRecords.from_view(view, context.language)


async def resolve_prior_records_batch(
    info: Info[HubContext, None],
    id_numbers: Annotated[
        list[str],
        strawberry.argument(
            description=f"至多 {MAX_BATCH} 人，且不超过每分钟查询配额 / at most {MAX_BATCH} people and"
            " no more than the caller's lookups per minute; " + ID_NUMBER_HELP
        ),
    ],
    purpose: Annotated[Purpose, strawberry.argument(description="查询目的 / why the lookup is made")],
    case_number: Annotated[str | None, strawberry.argument(description=CASE_NUMBER_HELP)] = None,
    legal_basis: Annotated[str | None, strawberry.argument(description=LEGAL_BASIS_HELP)] = None,
) -> list[PriorRecords]:
    context = info.context
    if len(id_numbers) > MAX_BATCH_ENTRIES:
        raise BatchTooLarge(size=len(id_numbers), limit=MAX_BATCH)
    parsed: list[IdNumber] = []
    for index, id_number in enumerate(id_numbers):
        try:
            parsed.append(parse_id_number(id_number))
        except InvalidIdNumber as exc:
            # One mistyped number leaves the other results. Its extensions.index gives its position.
            exc.index = index
            context.partial_errors.append(PartialError(exc, tuple(info.path.as_list()), field_nodes(info)))
    if not parsed:
        return []
    views = await context.records.lookup_many(parsed, purpose.value, case_number, legal_basis)

    answers = []
    for index, view in enumerate(views):
        path = (*info.path.as_list(), index)
        for outcome in view.sources:
            if outcome.error is not None:
                context.partial_errors.append(PartialError(outcome.error, path, field_nodes(info)))
        answers.append(PriorRecords.from_view(view, context.language))
    return answers


@strawberry.type
class Query:
    prior_records: PriorRecords | None = strawberry.field(
        resolver=resolve_prior_records,
        description="按公民身份号码查询前科 / look up prior records by resident ID number",
    )
    prior_records_batch: list[PriorRecords] = strawberry.field(
        resolver=resolve_prior_records_batch,
        description="批量查询前科，每人单独授权、封存过滤并记审计日志；无效号码不返回结果，另报一条错误"
        " / prior records of many people at once, each checked, sealing-filtered and audited as a"
        " single lookup; one result per distinct valid number, and for each invalid one an"
        " INVALID_ID_NUMBER error whose extensions.index is its position in idNumbers",
    )
    notices: NoticeConnection = strawberry.field(
        resolver=resolve_notices, description="社区矫正执行通知书列表 / correction notices, newest first"
    )
    notice: Notice | None = strawberry.field(
        resolver=resolve_notice, description="一份通知书 / one notice by id"
    )
    indicators: NoticeIndicators = strawberry.field(
        resolver=resolve_indicators, description="社区矫正衔接指标 / community-correction indicators"
    )
    audit_entries: AuditEntryConnection = strawberry.field(
        resolver=resolve_audit_entries,
        description="审计日志，最新在前；仅审计员 / audit log, newest first; auditors only",
    )
