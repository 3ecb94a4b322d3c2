"""The synthetic ground truth every stand-in is filled from.

``simulators.dataset.build_dataset`` produces one ``Dataset`` from a fixed seed; each
stand-in (court SOAP service, police, prison and justice-bureau databases) writes its own
legacy view of it. Values here are canonical (GB/T 2261.1 sex codes, GB 3304 ethnicity
codes, ``adapters.records`` enums by value); legacy quirks are added by each stand-in's
loader, not stored here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

# Every date in the data set is relative to this day, never to today's date, so a seed
# alone reproduces the data set.
REFERENCE_DATE = dt.date(2026, 11, 30)


@dataclass(slots=True)
class SimPerson:
    person_id: int
    name: str  # the name the police registered: a Yi name (with or without ·) or a Han name
    id_number: str  # valid 18-character number
    sex_code: str  # "1" or "2"
    ethnicity_code: str  # GB 3304, "07" Yi, "01" Han, ...
    birth_date: dt.date
    county_code: str  # residence; may be the retired 513425
    han_name: str | None = None  # a Han school name a Yi person also carries
    legacy_15_only: bool = False  # older systems (police, prison) store only the 15-digit form


@dataclass(slots=True)
class SimCoerciveMeasure:
    measure: str  # adapters.records.CoerciveMeasureType value
    start_date: dt.date
    end_date: dt.date | None


@dataclass(slots=True)
class SimPoliceCase:
    police_case_number: str  # AJBH, e.g. A5134015100002024030012
    person_id: int
    case_type: str  # the charge the case was filed under, e.g. 盗窃案
    status: str  # adapters.records.PoliceCaseStatus value
    filed_on: dt.date
    unit: str  # e.g. 西昌市公安局
    measures: list[SimCoerciveMeasure] = field(default_factory=list)


@dataclass(slots=True)
class SimAdministrativeDetention:
    decision_number: str  # e.g. 西公（治）行罚决字〔2023〕118号
    person_id: int
    reason: str
    start_date: dt.date
    days: int
    unit: str


@dataclass(slots=True)
class SimCharge:
    name: str  # canonical charge, e.g. 走私、贩卖、运输、制造毒品罪
    article: str  # e.g. "347"
    act: str | None = None  # e.g. 贩卖


@dataclass(slots=True)
class SimJudgment:
    case_number: str  # as the court wrote it: 2016 form, pre-2016 form, mixed brackets
    person_id: int
    court_name: str
    court_code: str  # e.g. 川3401
    verdict: str  # adapters.records.Verdict value
    penalty: str  # adapters.records.PenaltyType value
    term_months: int | None
    probation_months: int | None
    charges: list[SimCharge]
    judgment_date: dt.date
    effective_date: dt.date | None  # None while an appeal is pending
    offence_date: dt.date
    procuratorate: str
    police_case_number: str | None
    correction_type: str | None  # adapters.records.CorrectionType value, or None
    fine_yuan: int | None = None


@dataclass(slots=True)
class SimSentenceReduction:
    ruled_on: dt.date
    months: int


@dataclass(slots=True)
class SimPrisonStay:
    person_id: int
    case_number: str  # the judgment being executed
    prison_name: str
    admitted_on: dt.date
    sentence_end_date: dt.date  # after reductions
    released_on: dt.date | None
    release_type: str | None  # "release" on completion or "parole"
    reductions: list[SimSentenceReduction] = field(default_factory=list)


@dataclass(slots=True)
class SimCorrection:
    person_id: int
    case_number: str
    correction_type: str  # adapters.records.CorrectionType value
    county_code: str  # place of execution: current county code
    start_date: dt.date
    end_date: dt.date
    reporting_status: str  # adapters.records.ReportingStatus value
    reported_on: dt.date | None
    status: str  # adapters.records.CorrectionStatus value


@dataclass(slots=True)
class Dataset:
    seed: int
    people: list[SimPerson]
    police_cases: list[SimPoliceCase]
    administrative_detentions: list[SimAdministrativeDetention]
    judgments: list[SimJudgment]
    prison_stays: list[SimPrisonStay]
    corrections: list[SimCorrection]
    # A person with records in all four systems; the README's example query uses them.
    showcase_person_id: int = 0

    def person(self, person_id: int) -> SimPerson:
        return self.people[person_id]
