"""Canonical records: the one vocabulary every adapter maps its legacy data into.

Names follow the glossary of the domain (police, court, prison, justice bureau; resident
ID number; criminal record; community correction). Codes are national standards: sex
GB/T 2261.1, ethnicity GB 3304, regions GB/T 2260. Nothing above the adapters sees a
legacy column name or code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class Agency(StrEnum):
    POLICE = "police"
    COURT = "court"
    PRISON = "prison"
    JUSTICE_BUREAU = "justice_bureau"


class Verdict(StrEnum):
    GUILTY = "guilty"
    GUILTY_EXEMPT = "guilty_exempt"  # 定罪免刑: guilty, exempted from punishment
    NOT_GUILTY = "not_guilty"


class PenaltyType(StrEnum):
    """Principal penalty (主刑) or the accessory penalty when it stands alone."""

    DEATH = "death"
    LIFE_IMPRISONMENT = "life_imprisonment"
    FIXED_TERM_IMPRISONMENT = "fixed_term_imprisonment"
    CRIMINAL_DETENTION = "criminal_detention"  # 拘役
    PUBLIC_SURVEILLANCE = "public_surveillance"  # 管制
    FINE_ONLY = "fine_only"
    DEPRIVATION_OF_POLITICAL_RIGHTS_ONLY = "deprivation_of_political_rights_only"
    EXEMPT = "exempt"
    NONE = "none"  # not guilty


class CorrectionType(StrEnum):
    """The four kinds of community correction (Community Correction Law art. 2)."""

    PUBLIC_SURVEILLANCE = "public_surveillance"  # 管制
    SUSPENDED_SENTENCE = "suspended_sentence"  # 缓刑
    PAROLE = "parole"  # 假释
    TEMPORARY_SERVICE_OUTSIDE_PRISON = "temporary_service_outside_prison"  # 暂予监外执行


class PoliceCaseStatus(StrEnum):
    FILED = "filed"  # 立案
    UNDER_INVESTIGATION = "under_investigation"
    TRANSFERRED_FOR_PROSECUTION = "transferred_for_prosecution"  # 移送审查起诉
    WITHDRAWN = "withdrawn"  # 撤案
    CLOSED = "closed"


class CoerciveMeasureType(StrEnum):
    SUMMONS = "summons"  # 拘传
    BAIL = "bail"  # 取保候审
    RESIDENTIAL_SURVEILLANCE = "residential_surveillance"  # 监视居住
    CRIMINAL_DETENTION = "criminal_detention"  # 刑事拘留
    ARREST = "arrest"  # 逮捕


class ReportingStatus(StrEnum):
    """Whether a person under correction reported in (报到) within 10 days."""

    PENDING = "pending"
    REPORTED = "reported"
    REPORTED_LATE = "reported_late"
    NOT_REPORTED = "not_reported"


class CorrectionStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"  # 矫正期满解除
    REVOKED = "revoked"  # 撤销缓刑/假释, 收监执行


class CustodyEventType(StrEnum):
    ADMISSION = "admission"
    SENTENCE_REDUCTION = "sentence_reduction"  # 减刑
    PAROLE = "parole"
    RELEASE = "release"  # 刑满释放
    TEMPORARY_SERVICE_OUTSIDE_PRISON = "temporary_service_outside_prison"


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Where a record came from: the agency and the key its own system uses."""

    agency: Agency
    local_reference: str


@dataclass(frozen=True, slots=True)
class PersonIdentity:
    """A person as one agency recorded them: identity attributes only."""

    source: SourceRef
    name: str
    id_number: str | None  # normalised 18 characters when the stored one was valid
    id_number_as_recorded: str | None  # exactly as stored: may be 15-digit or mistyped
    sex_code: str = "0"  # GB/T 2261.1
    ethnicity_code: str | None = None  # GB 3304
    birth_date: dt.date | None = None
    county_code: str | None = None  # residence, GB/T 2260
    other_names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Charge:
    """A canonical charge name (罪名) with its Criminal Law article."""

    name: str
    article: str
    act: str | None = None  # the act named in a selective charge, e.g. 贩卖 for art. 347


@dataclass(frozen=True, slots=True)
class Sentence:
    penalty: PenaltyType
    term_months: int | None = None
    probation_months: int | None = None  # suspended sentence (缓刑) test period
    fine_yuan: int | None = None
    political_rights_months: int | None = None


@dataclass(frozen=True, slots=True)
class CaseNumber:
    """A court case number, kept raw and parsed (year, court code, case type, serial)."""

    raw: str
    year: int | None = None
    court: str | None = None
    case_type: str | None = None
    serial: int | None = None

    @property
    def canonical(self) -> str:
        """The 2016-rule form with full-width brackets, used to match bracket variants."""
        if self.year is None or self.court is None or self.case_type is None or self.serial is None:
            return self.raw
        return f"（{self.year}）{self.court}{self.case_type}{self.serial}号"


@dataclass(frozen=True, slots=True)
class Judgment:
    """A court judgment. Only a guilty verdict with an effective date is a criminal record."""

    source: SourceRef
    case_number: CaseNumber
    court_name: str
    verdict: Verdict
    sentence: Sentence
    charges: tuple[Charge, ...] = ()
    judgment_date: dt.date | None = None
    effective_date: dt.date | None = None
    offence_date: dt.date | None = None
    procuratorate: str | None = None
    correction_type: CorrectionType | None = None
    residence_county_code: str | None = None
    police_case_number: str | None = None  # AJBH of the police case it arose from, when recorded

    @property
    def is_criminal_record(self) -> bool:
        return self.effective_date is not None and self.verdict is not Verdict.NOT_GUILTY


@dataclass(frozen=True, slots=True)
class PoliceCase:
    source: SourceRef
    police_case_number: str  # AJBH: opaque string
    case_type: str
    status: PoliceCaseStatus
    filed_on: dt.date | None
    unit: str
    role: str = "suspect"


@dataclass(frozen=True, slots=True)
class CoerciveMeasure:
    source: SourceRef
    measure: CoerciveMeasureType
    start_date: dt.date | None
    end_date: dt.date | None
    police_case_number: str | None
    unit: str


# Revised Public Security Administration Punishments Law art. 136, in force 2026-01-01:
# records of public-order violations are sealed. An AdministrativeDetention is one.
PUBLIC_ORDER_SEAL_BASIS = "治安管理处罚法第136条"


@dataclass(frozen=True, slots=True)
class AdministrativeDetention:
    """行政拘留 under the Public Security Administration Punishments Law: a sealed record.

    Every public-order violation record is sealed (``PUBLIC_ORDER_SEAL_BASIS``); which
    requesters see it is decided in ``hub.sealing``.
    """

    source: SourceRef
    decision_number: str
    reason: str
    start_date: dt.date | None
    days: int
    unit: str


@dataclass(frozen=True, slots=True)
class CustodyEvent:
    event: CustodyEventType
    date: dt.date | None
    detail: str = ""
    months: int | None = None  # for a sentence reduction: months taken off


@dataclass(frozen=True, slots=True)
class CustodyRecord:
    """One stay in prison: admission, reductions and release."""

    source: SourceRef
    prison_name: str
    case_number: CaseNumber | None
    admitted_on: dt.date | None
    sentence_end_date: dt.date | None  # as currently computed, after reductions
    released_on: dt.date | None
    events: tuple[CustodyEvent, ...] = ()


@dataclass(frozen=True, slots=True)
class CorrectionRecord:
    """One period of community correction (社区矫正) held by a justice bureau."""

    source: SourceRef
    correction_type: CorrectionType
    county_code: str
    start_date: dt.date | None
    end_date: dt.date | None
    reporting_status: ReportingStatus
    reported_on: dt.date | None
    status: CorrectionStatus
    case_number: CaseNumber | None = None


@dataclass(slots=True)
class AgencyRecords:
    """Everything one agency holds on one person, as canonical records.

    ``fetched_at`` (aware, UTC) is set on records kept for later, such as a cache's: when
    the agency gave them. Records that an adapter has just fetched leave it None.
    """

    agency: Agency
    persons: list[PersonIdentity] = field(default_factory=list)
    judgments: list[Judgment] = field(default_factory=list)
    police_cases: list[PoliceCase] = field(default_factory=list)
    coercive_measures: list[CoerciveMeasure] = field(default_factory=list)
    administrative_detentions: list[AdministrativeDetention] = field(default_factory=list)
    custody: list[CustodyRecord] = field(default_factory=list)
    corrections: list[CorrectionRecord] = field(default_factory=list)
    fetched_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class JudgmentChange:
    """A judgment the court system reports as changed, for pollers reading past a watermark.

    ``sequence`` is the court system's own increasing change number; a poller stores the
    last one it processed.
    """

    sequence: int
    judgment: Judgment
    person: PersonIdentity
