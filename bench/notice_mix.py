"""The judgments the fault campaign posts to the court stand-in, and what each one must lead to.

Only the four kinds of community correction (Community Correction Law art. 2) and a judgment
whose effective date arrives later must reach a justice bureau. Deprivation of political
rights alone goes to the police, a prison term needs no notice, and a judgment without an
effective date or with a county outside Liangshan stays parked for an officer.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from adapters.casenumber import try_parse_case_number
from adapters.idnumber import check_character
from adapters.regions import CURRENT_COUNTY_CODES


class Kind(StrEnum):
    SUSPENDED_SENTENCE = "suspended_sentence"
    PUBLIC_SURVEILLANCE = "public_surveillance"
    PAROLE = "parole"
    TEMPORARY_SERVICE = "temporary_service_outside_prison"
    LATE_EFFECTIVE_DATE = "late_effective_date"  # posted without the date, then again with it
    POLICE_ONLY = "police_only"
    CUSTODIAL = "custodial"
    NO_EFFECTIVE_DATE = "no_effective_date"
    UNKNOWN_COUNTY = "unknown_county"


WEIGHTS: dict[Kind, int] = {
    Kind.SUSPENDED_SENTENCE: 26,
    Kind.PUBLIC_SURVEILLANCE: 12,
    Kind.PAROLE: 12,
    Kind.TEMPORARY_SERVICE: 10,
    Kind.LATE_EFFECTIVE_DATE: 5,
    Kind.POLICE_ONLY: 9,
    Kind.CUSTODIAL: 16,
    Kind.NO_EFFECTIVE_DATE: 5,
    Kind.UNKNOWN_COUNTY: 5,
}
MUST_REACH_BUREAU = frozenset(
    {
        Kind.SUSPENDED_SENTENCE,
        Kind.PUBLIC_SURVEILLANCE,
        Kind.PAROLE,
        Kind.TEMPORARY_SERVICE,
        Kind.LATE_EFFECTIVE_DATE,
    }
)
PARKED = frozenset({Kind.NO_EFFECTIVE_DATE, Kind.UNKNOWN_COUNTY})

# (court name, court code, case type). The intermediate court's cases here are appeals (刑终).
COURTS = (
    ("西昌市人民法院", "川3401", "刑初"),
    ("会理市人民法院", "川3402", "刑初"),
    ("昭觉县人民法院", "川3431", "刑初"),
    ("凉山彝族自治州中级人民法院", "川34", "刑终"),
)
# Huili's pre-2021 code 513425 is still recorded by the court and must reach the 513402 bureau.
COUNTIES = (*CURRENT_COUNTY_CODES, "513425")
OUTSIDE_LIANGSHAN = "510104"  # Jinjiang district, Chengdu: no Liangshan bureau receives it
NAMES = ("阿苏拉则", "沙马拉且", "吉克阿依", "俄底伍呷", "马海木呷", "海来阿木", "曲比阿果", "阿约")
CHARGES = (("盗窃罪", "264"), ("故意伤害罪", "234"), ("危险驾驶罪", "133之一"), ("诈骗罪", "266"))


@dataclass(frozen=True, slots=True)
class PlannedJudgment:
    """One judgment of one run: what the court stand-in gets and where the notice must end."""

    run: int
    kind: Kind
    court_name: str
    case_number: str  # canonical form, the one the hub and the bureau store
    posting: dict[str, Any]  # ``JudgmentIn`` JSON for POST /admin/judgments
    correction: dict[str, Any] | None = None  # the later posting that adds the effective date

    @property
    def expected(self) -> bool:
        return self.kind in MUST_REACH_BUREAU

    @property
    def parked(self) -> bool:
        return self.kind in PARKED


def plan_run(run: int, count: int, rng: random.Random) -> list[PlannedJudgment]:
    """Draw ``count`` judgments for ``run``. Case numbers and ID numbers are unique in the campaign."""
    kinds, weights = list(WEIGHTS), list(WEIGHTS.values())
    return [
        _planned(run, run * count + index, kind, rng)
        for index, kind in enumerate(rng.choices(kinds, weights, k=count))
    ]


def _planned(run: int, number: int, kind: Kind, rng: random.Random) -> PlannedJudgment:
    court_name, court_code, case_type = rng.choice(COURTS)
    serial = number + 1
    # Some numbers get half-width brackets, which the hub must still match to the canonical form.
    opening, closing = rng.choice((("（", "）"), ("(", ")")))
    raw = f"{opening}2026{closing}{court_code}{case_type}{serial}号"
    county = OUTSIDE_LIANGSHAN if kind is Kind.UNKNOWN_COUNTY else rng.choice(COUNTIES)
    judgment_date = dt.date(2026, 1, 5) + dt.timedelta(days=rng.randrange(320))
    fields: dict[str, Any] = {
        "case_number": raw,
        "court_name": court_name,
        "court_code": court_code,
        "verdict": "guilty",
        "charges": [dict(zip(("name", "article"), rng.choice(CHARGES), strict=True))],
        "judgment_date": judgment_date.isoformat(),
        "effective_date": (judgment_date + dt.timedelta(days=11)).isoformat(),
        **_sentence(kind, rng),
    }
    person = _person(number, county, rng)
    complete = {"person": person, "judgment": fields}
    without_date = {"person": person, "judgment": {**fields, "effective_date": None}}
    canonical = try_parse_case_number(raw).canonical

    if kind is Kind.LATE_EFFECTIVE_DATE:
        return PlannedJudgment(run, kind, court_name, canonical, without_date, correction=complete)
    if kind is Kind.NO_EFFECTIVE_DATE:
        return PlannedJudgment(run, kind, court_name, canonical, without_date)
    return PlannedJudgment(run, kind, court_name, canonical, complete)


def _sentence(kind: Kind, rng: random.Random) -> dict[str, Any]:
    if kind is Kind.PUBLIC_SURVEILLANCE:
        # Left out half the time, so the hub must infer the correction from the penalty.
        correction = rng.choice(("public_surveillance", None))
        return {"penalty": "public_surveillance", "term_months": 6, "correction_type": correction}
    if kind is Kind.PAROLE:
        return {"penalty": "fixed_term_imprisonment", "term_months": 60, "correction_type": "parole"}
    if kind is Kind.TEMPORARY_SERVICE:
        return {
            "penalty": "fixed_term_imprisonment",
            "term_months": 24,
            "correction_type": "temporary_service_outside_prison",
        }
    if kind is Kind.POLICE_ONLY:
        return {"penalty": "deprivation_of_political_rights_only", "term_months": 24}
    if kind is Kind.CUSTODIAL:
        penalty = rng.choice(("fixed_term_imprisonment", "criminal_detention"))
        return {"penalty": penalty, "term_months": 36 if penalty == "fixed_term_imprisonment" else 4}
    # Left out half the time, so the hub must infer a suspended sentence from the probation.
    correction = rng.choice(("suspended_sentence", None))
    return {
        "penalty": "fixed_term_imprisonment",
        "term_months": 12,
        "probation_months": 24,
        "correction_type": correction,
    }


def _person(number: int, county: str, rng: random.Random) -> dict[str, Any]:
    # The birth date makes the ID number unique in the campaign, because the court stand-in
    # merges parties with the same ID number and name and would then move the other's county.
    birth = dt.date(1960, 1, 1) + dt.timedelta(days=number)
    sequence = rng.randrange(100, 999)
    first17 = f"{county}{birth:%Y%m%d}{sequence:03d}"
    return {
        "name": rng.choice(NAMES),
        "id_number": first17 + check_character(first17),
        "sex_code": "1" if sequence % 2 else "2",
        "ethnicity_code": "07",
        "birth_date": birth.isoformat(),
        "county_code": county,
    }
