"""Build the deterministic synthetic data set every stand-in is filled from.

``build_dataset(seed)`` draws everything from ``random.Random(seed)`` and dates from
``model.REFERENCE_DATE``, so the same seed always gives the same data set. Each person
gets at most one criminal history (police case → judgment → prison stay or community
correction), possibly an administrative detention, and the showcase person gets a
history that touches all four systems.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from adapters.idnumber import check_character
from adapters.regions import COUNTIES, current_county
from simulators import histories
from simulators.model import (
    REFERENCE_DATE,
    Dataset,
    SimAdministrativeDetention,
    SimCoerciveMeasure,
    SimCorrection,
    SimJudgment,
    SimPerson,
    SimPoliceCase,
    SimPrisonStay,
    SimSentenceReduction,
)
from simulators.names import person_name

# Relative weights of residents by county (GB/T 2260), with the Yi share of each county.
COUNTY_WEIGHTS: dict[str, tuple[int, float]] = {
    "513401": (14, 0.25),
    "513402": (4, 0.15),
    "513425": (4, 0.15),
    "513422": (3, 0.35),
    "513423": (6, 0.50),
    "513424": (4, 0.25),
    "513426": (4, 0.15),
    "513427": (3, 0.30),
    "513428": (4, 0.80),
    "513429": (5, 0.95),
    "513430": (4, 0.85),
    "513431": (8, 0.97),
    "513432": (5, 0.85),
    "513433": (5, 0.30),
    "513434": (7, 0.75),
    "513435": (4, 0.70),
    "513436": (6, 0.98),
    "513437": (5, 0.55),
}
# Non-Yi residents: Han mostly, then the smaller peoples of the prefecture (GB 3304).
OTHER_ETHNICITIES = (("01", 88), ("03", 3), ("04", 3), ("06", 2), ("20", 2), ("27", 2))
LEGACY_15_SHARE = 0.11


@dataclass(slots=True)
class _Builder:
    rng: random.Random
    people: list[SimPerson] = field(default_factory=list)
    police_cases: list[SimPoliceCase] = field(default_factory=list)
    detentions: list[SimAdministrativeDetention] = field(default_factory=list)
    judgments: list[SimJudgment] = field(default_factory=list)
    prison_stays: list[SimPrisonStay] = field(default_factory=list)
    corrections: list[SimCorrection] = field(default_factory=list)
    serials: dict[str, int] = field(default_factory=dict)

    def next_serial(self, key: str) -> int:
        self.serials[key] = self.serials.get(key, self.rng.randint(0, 40)) + 1
        return self.serials[key]


def build_dataset(seed: int = 20261204, people: int = 2000) -> Dataset:
    """Build ``people`` synthetic residents of Liangshan and their histories from ``seed``."""
    builder = _Builder(random.Random(seed))
    used_numbers: set[str] = set()
    for person_id in range(people):
        builder.people.append(_make_person(builder.rng, person_id, used_numbers))
    _ensure_gbk_only_name(builder.people)

    showcase_id = _pick_showcase(builder.people)
    for person in builder.people:
        if person.person_id == showcase_id:
            _showcase_history(builder, person)
        else:
            histories.random_history(builder, person)

    return Dataset(
        seed=seed,
        people=builder.people,
        police_cases=builder.police_cases,
        administrative_detentions=builder.detentions,
        judgments=builder.judgments,
        prison_stays=builder.prison_stays,
        corrections=builder.corrections,
        showcase_person_id=showcase_id,
    )


def _make_person(rng: random.Random, person_id: int, used_numbers: set[str]) -> SimPerson:
    codes = list(COUNTY_WEIGHTS)
    county = rng.choices(codes, weights=[COUNTY_WEIGHTS[c][0] for c in codes])[0]
    yi_share = COUNTY_WEIGHTS[county][1]
    if rng.random() < yi_share:
        ethnicity = "07"
    else:
        ethnicity = rng.choices([e for e, _ in OTHER_ETHNICITIES], [w for _, w in OTHER_ETHNICITIES])[0]

    male = rng.random() < 0.62  # the people with records are mostly men
    age_days = int(rng.triangular(16, 78, 30) * 365.25)
    birth = REFERENCE_DATE - dt.timedelta(days=age_days)
    id_number = _id_number(rng, county, birth, male, used_numbers)
    name, school_name = person_name(rng, ethnicity, male)
    legacy_15_only = birth.year < 2000 and rng.random() < LEGACY_15_SHARE

    return SimPerson(
        person_id=person_id,
        name=name,
        id_number=id_number,
        sex_code="1" if male else "2",
        ethnicity_code=ethnicity,
        birth_date=birth,
        county_code=county,
        han_name=school_name,
        legacy_15_only=legacy_15_only,
    )


def _id_number(rng: random.Random, county: str, birth: dt.date, male: bool, used: set[str]) -> str:
    while True:
        sequence = rng.randrange(1, 1000)
        if sequence % 2 != int(male):
            sequence = sequence + 1 if sequence < 999 else 998
        first17 = f"{county}{birth:%Y%m%d}{sequence:03d}"
        number = first17 + check_character(first17)
        if number not in used:
            used.add(number)
            return number


def _ensure_gbk_only_name(people: list[SimPerson]) -> None:
    if any("堃" in person.name for person in people):
        return
    han = next((p for p in people if p.ethnicity_code == "01" and p.sex_code == "1"), people[0])
    han.name = han.name[0] + "文堃"


def _pick_showcase(people: list[SimPerson]) -> int:
    """A Yi man in his thirties or forties with a Han school name and an 18-digit record."""

    def fits(person: SimPerson) -> bool:
        age = REFERENCE_DATE.year - person.birth_date.year
        return (
            person.ethnicity_code == "07"
            and person.han_name is not None
            and person.sex_code == "1"
            and not person.legacy_15_only
            and 32 <= age <= 48
        )

    return next((p.person_id for p in people if fits(p)), 0)


def _showcase_history(builder: _Builder, person: SimPerson) -> None:
    """Drug sale, detention and arrest, 7 years, two reductions, parole, then correction."""
    county = current_county(person.county_code) or COUNTIES["513401"]
    offence = REFERENCE_DATE - dt.timedelta(days=6 * 365 + 40)
    detention_from = offence - dt.timedelta(days=400)
    if person.birth_date.year < 1992:
        detention_from = dt.date(2012, 7, 3)
    serial = builder.next_serial(f"XZ{county.code}{detention_from.year}")
    builder.detentions.append(
        SimAdministrativeDetention(
            decision_number=f"{histories.COUNTY_SHORT[county.code]}公（治）行罚决字〔{detention_from.year}〕{serial}号",
            person_id=person.person_id,
            reason="吸食毒品",
            start_date=detention_from,
            days=10,
            unit=histories.police_unit(county.code),
        )
    )

    filed = offence + dt.timedelta(days=2)
    arrest = filed + dt.timedelta(days=30)
    judged = filed + dt.timedelta(days=170)
    effective = judged + dt.timedelta(days=12)
    case = SimPoliceCase(
        police_case_number=histories.police_case_number(builder, county.code, filed),
        person_id=person.person_id,
        case_type="贩卖毒品案",
        status="closed",
        filed_on=filed,
        unit=histories.police_unit(county.code),
        measures=[
            SimCoerciveMeasure("criminal_detention", filed, arrest),
            SimCoerciveMeasure("arrest", arrest, effective),
        ],
    )
    builder.police_cases.append(case)

    term = 84
    court_code = f"川34{county.code[4:]}"
    case_number = f"（{judged.year}）{court_code}刑初{builder.next_serial(court_code + str(judged.year))}号"
    builder.judgments.append(
        SimJudgment(
            case_number=case_number,
            person_id=person.person_id,
            court_name=histories.court_name(county.code),
            court_code=court_code,
            verdict="guilty",
            penalty="fixed_term_imprisonment",
            term_months=term,
            probation_months=None,
            charges=[histories.charge("347", "贩卖")],
            judgment_date=judged,
            effective_date=effective,
            offence_date=offence,
            procuratorate=histories.procuratorate(county.code),
            police_case_number=case.police_case_number,
            correction_type=None,
            fine_yuan=20000,
        )
    )

    admitted = effective + dt.timedelta(days=6)
    reductions = [
        SimSentenceReduction(histories.add_months(admitted, 20), 8),
        SimSentenceReduction(histories.add_months(admitted, 36), 6),
    ]
    sentence_end = histories.add_months(filed, term - 14) - dt.timedelta(days=1)
    paroled = histories.add_months(admitted, 48)
    builder.prison_stays.append(
        SimPrisonStay(
            person_id=person.person_id,
            case_number=case_number,
            prison_name="四川省凉山监狱",
            admitted_on=admitted,
            sentence_end_date=sentence_end,
            released_on=paroled,
            release_type="parole",
            reductions=reductions,
        )
    )
    builder.corrections.append(
        SimCorrection(
            person_id=person.person_id,
            case_number=case_number,
            correction_type="parole",
            county_code=county.code,
            start_date=paroled,
            end_date=sentence_end,
            reporting_status="reported",
            reported_on=paroled + dt.timedelta(days=3),
            status="active" if sentence_end >= REFERENCE_DATE else "completed",
        )
    )
