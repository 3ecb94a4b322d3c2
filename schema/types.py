"""GraphQL object types mirroring the canonical records, and their conversions.

Conversions copy fields one to one; deciding what counts as a criminal record happens
in the service before anything reaches this module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Self

import strawberry

from adapters import records
from schema.enums import (
    Agency,
    CoerciveMeasureType,
    CorrectionStatus,
    CorrectionType,
    CustodyEventType,
    PenaltyType,
    PoliceCaseStatus,
    ReportingStatus,
    Verdict,
)


@strawberry.type(description="记录来源 / the agency and the key its own system uses")
class SourceReference:
    agency: Agency
    local_reference: str

    @classmethod
    def from_record(cls, ref: records.SourceRef) -> SourceReference:
        return cls(agency=ref.agency, local_reference=ref.local_reference)


@strawberry.type(description="人员身份 / the best identity found, with every other name seen")
class Person:
    name: str
    id_number: str | None
    id_number_as_recorded: str | None
    sex_code: str = strawberry.field(description="GB/T 2261.1: 0 unknown, 1 male, 2 female, 9 not stated")
    ethnicity_code: str | None = strawberry.field(description="GB 3304, e.g. 07 Yi")
    birth_date: dt.date | None
    county_code: str | None = strawberry.field(description="residence county, GB/T 2260")
    other_names: list[str]
    source: SourceReference

    @classmethod
    def from_record(cls, person: records.PersonIdentity) -> Person:
        return cls(
            name=person.name,
            id_number=person.id_number,
            id_number_as_recorded=person.id_number_as_recorded,
            sex_code=person.sex_code,
            ethnicity_code=person.ethnicity_code,
            birth_date=person.birth_date,
            county_code=person.county_code,
            other_names=list(person.other_names),
            source=SourceReference.from_record(person.source),
        )


@strawberry.type(description="罪名 / charge")
class Charge:
    name: str
    article: str = strawberry.field(description="Criminal Law article, e.g. 347 or 133-1")
    act: str | None

    @classmethod
    def from_record(cls, charge: records.Charge) -> Charge:
        return cls(name=charge.name, article=charge.article, act=charge.act)


@strawberry.type(description="刑罚 / sentence; terms in months, fines in yuan")
class Sentence:
    penalty: PenaltyType
    term_months: int | None
    probation_months: int | None
    fine_yuan: int | None
    political_rights_months: int | None

    @classmethod
    def from_record(cls, sentence: records.Sentence) -> Sentence:
        return cls(
            penalty=sentence.penalty,
            term_months=sentence.term_months,
            probation_months=sentence.probation_months,
            fine_yuan=sentence.fine_yuan,
            political_rights_months=sentence.political_rights_months,
        )


@strawberry.type(description="案号 / court case number, as recorded and parsed")
class CaseNumber:
    raw: str
    year: int | None
    court: str | None
    case_type: str | None
    serial: int | None
    canonical: str = strawberry.field(description="2016-rule form with full-width brackets")

    @classmethod
    def from_record(cls, number: records.CaseNumber) -> CaseNumber:
        return cls(
            raw=number.raw,
            year=number.year,
            court=number.court,
            case_type=number.case_type,
            serial=number.serial,
            canonical=number.canonical,
        )

    @classmethod
    def from_optional(cls, number: records.CaseNumber | None) -> CaseNumber | None:
        return None if number is None else cls.from_record(number)


@strawberry.type(description="判决 / a court judgment")
class Judgment:
    case_number: CaseNumber
    court_name: str
    verdict: Verdict
    sentence: Sentence
    charges: list[Charge]
    judgment_date: dt.date | None
    effective_date: dt.date | None
    offence_date: dt.date | None
    procuratorate: str | None
    correction_type: CorrectionType | None
    residence_county_code: str | None
    police_case_number: str | None = strawberry.field(
        description="公安机关案件编号（AJBH），法院记录了才有 / the police case number (AJBH) the judgment"
        " arose from, when the court recorded it"
    )
    source: SourceReference

    @classmethod
    def from_record(cls, judgment: records.Judgment) -> Self:
        return cls(
            case_number=CaseNumber.from_record(judgment.case_number),
            court_name=judgment.court_name,
            verdict=judgment.verdict,
            sentence=Sentence.from_record(judgment.sentence),
            charges=[Charge.from_record(charge) for charge in judgment.charges],
            judgment_date=judgment.judgment_date,
            effective_date=judgment.effective_date,
            offence_date=judgment.offence_date,
            procuratorate=judgment.procuratorate,
            correction_type=judgment.correction_type,
            residence_county_code=judgment.residence_county_code,
            police_case_number=judgment.police_case_number,
            source=SourceReference.from_record(judgment.source),
        )


@strawberry.type(description="犯罪记录 / criminal record: a guilty verdict in an effective judgment")
class CriminalRecord(Judgment):
    reported_by: list[Agency] = strawberry.field(
        default_factory=list,
        description="报告该判决的机关：法院及执行该判决的监狱、社区矫正机构 / every agency whose records"
        " carry this judgment's case number: the court and the prison or correction office executing it",
    )

    sealed: bool = strawberry.field(
        default=False,
        description="是否封存（未成年人犯罪记录，刑事诉讼法第286条）。封存记录只返回给依法办案的司法机关 /"
        " whether the record is sealed (juvenile record, CPL art. 286); sealed records reach only"
        " judicial organs handling a case",
    )
    seal_basis: str | None = strawberry.field(
        default=None, description="封存依据 / legal basis of the seal, when sealed"
    )

    @classmethod
    def with_reporters(
        cls, judgment: records.Judgment, reporters: Sequence[Agency], seal_basis: str | None = None
    ) -> CriminalRecord:
        record = cls.from_record(judgment)
        record.reported_by = list(reporters) or [judgment.source.agency]
        record.sealed = seal_basis is not None
        record.seal_basis = seal_basis
        return record


@strawberry.type(description="人员索引关联 / one agency record linked to the person, and how")
class RecordLink:
    agency: Agency
    local_key: str = strawberry.field(description="the agency's own person key")
    method: str = strawberry.field(
        description="id_number: same valid ID number; probabilistic: match weights; confirmed: an"
        " operator's decision; single: the only record"
    )
    score: float | None = strawberry.field(description="Fellegi-Sunter match weight, when scored")
    id_number_masked: str | None
    same_id_number: bool = strawberry.field(description="recorded under the ID number looked up")


@strawberry.type(description="公安案件 / police case")
class PoliceCase:
    police_case_number: str
    case_type: str
    status: PoliceCaseStatus
    filed_on: dt.date | None
    unit: str
    role: str
    source: SourceReference

    @classmethod
    def from_record(cls, case: records.PoliceCase) -> PoliceCase:
        return cls(
            police_case_number=case.police_case_number,
            case_type=case.case_type,
            status=case.status,
            filed_on=case.filed_on,
            unit=case.unit,
            role=case.role,
            source=SourceReference.from_record(case.source),
        )


@strawberry.type(description="强制措施 / coercive measure")
class CoerciveMeasure:
    measure: CoerciveMeasureType
    start_date: dt.date | None
    end_date: dt.date | None
    police_case_number: str | None
    unit: str
    source: SourceReference

    @classmethod
    def from_record(cls, measure: records.CoerciveMeasure) -> CoerciveMeasure:
        return cls(
            measure=measure.measure,
            start_date=measure.start_date,
            end_date=measure.end_date,
            police_case_number=measure.police_case_number,
            unit=measure.unit,
            source=SourceReference.from_record(measure.source),
        )


@strawberry.type(
    description="行政拘留：治安违法记录，已封存，仅向办案的司法机关提供 / administrative detention: a"
    " public-order violation record, sealed, given only to judicial organs handling a case"
)
class AdministrativeDetention:
    decision_number: str
    reason: str
    start_date: dt.date | None
    days: int
    unit: str
    sealed: bool = strawberry.field(
        description="是否封存。治安违法记录自 2026-01-01 起一律封存 / whether the record is sealed. Every"
        " public-order violation record is sealed from 2026-01-01"
    )
    seal_basis: str = strawberry.field(
        description="封存依据，如“治安管理处罚法第136条” / legal basis of the seal, e.g."
        " 治安管理处罚法第136条 (Public Security Administration Punishments Law art. 136)"
    )
    source: SourceReference

    @classmethod
    def from_record(cls, detention: records.AdministrativeDetention) -> AdministrativeDetention:
        # Sealed as a class (records.PUBLIC_ORDER_SEAL_BASIS): the lookup service passes a
        # detention only to a caller who may see sealed records (hub.sealing.public_order_seal).
        return cls(
            decision_number=detention.decision_number,
            reason=detention.reason,
            start_date=detention.start_date,
            days=detention.days,
            unit=detention.unit,
            sealed=True,
            seal_basis=records.PUBLIC_ORDER_SEAL_BASIS,
            source=SourceReference.from_record(detention.source),
        )


@strawberry.type(description="羁押事件 / custody event: admission, sentence reduction, parole, release")
class CustodyEvent:
    event: CustodyEventType
    date: dt.date | None
    detail: str
    months: int | None = strawberry.field(description="months taken off by a sentence reduction")

    @classmethod
    def from_record(cls, event: records.CustodyEvent) -> CustodyEvent:
        return cls(event=event.event, date=event.date, detail=event.detail, months=event.months)


@strawberry.type(description="服刑记录 / one stay in prison")
class CustodyRecord:
    prison_name: str
    case_number: CaseNumber | None
    admitted_on: dt.date | None
    sentence_end_date: dt.date | None
    released_on: dt.date | None
    events: list[CustodyEvent]
    source: SourceReference

    @classmethod
    def from_record(cls, custody: records.CustodyRecord) -> CustodyRecord:
        return cls(
            prison_name=custody.prison_name,
            case_number=CaseNumber.from_optional(custody.case_number),
            admitted_on=custody.admitted_on,
            sentence_end_date=custody.sentence_end_date,
            released_on=custody.released_on,
            events=[CustodyEvent.from_record(event) for event in custody.events],
            source=SourceReference.from_record(custody.source),
        )


@strawberry.type(description="社区矫正记录 / one period of community correction")
class CorrectionRecord:
    correction_type: CorrectionType
    county_code: str
    start_date: dt.date | None
    end_date: dt.date | None
    reporting_status: ReportingStatus
    reported_on: dt.date | None
    status: CorrectionStatus
    case_number: CaseNumber | None
    source: SourceReference

    @classmethod
    def from_record(cls, correction: records.CorrectionRecord) -> CorrectionRecord:
        return cls(
            correction_type=correction.correction_type,
            county_code=correction.county_code,
            start_date=correction.start_date,
            end_date=correction.end_date,
            reporting_status=correction.reporting_status,
            reported_on=correction.reported_on,
            status=correction.status,
            case_number=CaseNumber.from_optional(correction.case_number),
            source=SourceReference.from_record(correction.source),
        )
