"""Random but consistent criminal histories for the synthetic data set.

A story runs police case → judgment → prison stay or community correction, or stops
early: an administrative detention only, a police case only, an acquittal, a pending
appeal. Offences fall in 2008 or later, and before the 18th birthday for juveniles.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from adapters.regions import COUNTIES, current_county
from simulators.model import (
    REFERENCE_DATE,
    SimAdministrativeDetention,
    SimCharge,
    SimCoerciveMeasure,
    SimCorrection,
    SimJudgment,
    SimPerson,
    SimPoliceCase,
    SimPrisonStay,
    SimSentenceReduction,
)

if TYPE_CHECKING:
    from simulators.dataset import _Builder

# One-character county abbreviations used in document numbers (西公, 西法).
COUNTY_SHORT = {
    "513401": "西",
    "513402": "理",
    "513422": "木",
    "513423": "盐",
    "513424": "德",
    "513426": "东",
    "513427": "宁",
    "513428": "普",
    "513429": "布",
    "513430": "金",
    "513431": "昭",
    "513432": "喜",
    "513433": "冕",
    "513434": "越",
    "513435": "甘",
    "513436": "美",
    "513437": "雷",
}
# Criminal Law article -> (canonical charge, police case type)
CHARGES = {
    "347": ("走私、贩卖、运输、制造毒品罪", "贩卖毒品案"),
    "348": ("非法持有毒品罪", "非法持有毒品案"),
    "354": ("容留他人吸毒罪", "容留他人吸毒案"),
    "264": ("盗窃罪", "盗窃案"),
    "234": ("故意伤害罪", "故意伤害案"),
    "133-1": ("危险驾驶罪", "危险驾驶案"),
    "345": ("滥伐林木罪", "滥伐林木案"),
}
STORIES = {
    "none": 50,
    "admin": 8,
    "police_only": 9,
    "not_guilty": 1.5,
    "pending_appeal": 2,
    "prison": 9,
    "prison_parole": 3,
    "suspended": 9,
    "surveillance": 1.5,
    "temporary": 1,
    "detention_only": 2,
}
STORY_CHARGES = {
    "prison": {"347": 35, "348": 10, "264": 20, "234": 20, "354": 10, "345": 5},
    "suspended": {"264": 30, "234": 20, "133-1": 25, "345": 10, "348": 10, "354": 5},
    "surveillance": {"264": 50, "234": 30, "345": 20},
    "temporary": {"347": 40, "264": 30, "234": 30},
    "detention_only": {"133-1": 1},
    "not_guilty": {"234": 50, "264": 50},
}
ADMIN_REASONS = ("吸食毒品", "殴打他人", "盗窃", "参与赌博", "饮酒后驾驶机动车")
POLICE_ONLY_STATUSES = ("filed", "under_investigation", "withdrawn", "transferred_for_prosecution")
PRISONS = ("四川省凉山监狱", "四川省雷马屏监狱", "四川省西昌监狱")
EARLIEST_OFFENCE = dt.date(2008, 1, 1)
JUVENILE_SHARE = 0.12


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day ``months`` later (CPL art. 105), clamped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    for candidate in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month + 1, min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError(day)


def police_unit(county_code: str) -> str:
    return COUNTIES[county_code].name_zh + "公安局"


def court_name(county_code: str) -> str:
    return COUNTIES[county_code].name_zh + "人民法院"


def procuratorate(county_code: str) -> str:
    return COUNTIES[county_code].name_zh + "人民检察院"


def charge(article: str, act: str | None = None) -> SimCharge:
    return SimCharge(name=CHARGES[article][0], article=article, act=act)


def police_case_number(builder: _Builder, county_code: str, filed: dt.date) -> str:
    """AJBH: ``A`` + county + unit suffix + year and month + serial, an opaque string."""
    prefix = f"{county_code}510000{filed:%Y%m}"
    return f"A{prefix}{builder.next_serial('AJ' + prefix):04d}"


def random_history(builder: _Builder, person: SimPerson) -> None:
    rng = builder.rng
    story = rng.choices(list(STORIES), weights=list(STORIES.values()))[0]
    county = (current_county(person.county_code) or COUNTIES["513401"]).code

    if story == "admin" or (story != "none" and rng.random() < 0.08):
        _administrative_detention(builder, person, county)
    if story in ("none", "admin"):
        return
    juvenile = rng.random() < JUVENILE_SHARE and story not in ("prison_parole", "pending_appeal")
    _criminal_story(builder, person, county, story, juvenile)


def _random_day(builder: _Builder, low: dt.date, high: dt.date) -> dt.date:
    return low + dt.timedelta(days=builder.rng.randint(0, (high - low).days))


def _birthday(person: SimPerson, age: int) -> dt.date:
    return add_months(person.birth_date, 12 * age)


def _administrative_detention(builder: _Builder, person: SimPerson, county: str) -> None:
    low = max(_birthday(person, 16), dt.date(2010, 1, 1))
    high = REFERENCE_DATE - dt.timedelta(days=20)
    if low > high:
        return
    start = _random_day(builder, low, high)
    serial = builder.next_serial(f"XZ{county}{start.year}")
    builder.detentions.append(
        SimAdministrativeDetention(
            decision_number=f"{COUNTY_SHORT[county]}公（治）行罚决字〔{start.year}〕{serial}号",
            person_id=person.person_id,
            reason=builder.rng.choice(ADMIN_REASONS),
            start_date=start,
            days=builder.rng.randint(3, 15),
            unit=police_unit(county),
        )
    )


def _sentence(
    builder: _Builder, story: str, article: str, juvenile: bool
) -> tuple[str, int | None, int | None]:
    """Return (penalty, term months, probation months) for a story."""
    rng = builder.rng
    if story == "not_guilty":
        return "none", None, None
    if article == "133-1":
        term = rng.randint(1, 6)
        probation = max(term, 2) + rng.randint(0, 4) if story == "suspended" else None
        return "criminal_detention", term, probation
    if story == "surveillance":
        return "public_surveillance", rng.randint(3, 24), None
    if story == "suspended":
        term = rng.randint(6, 36)
        return "fixed_term_imprisonment", term, max(term, 12) + rng.randint(0, 12)
    longest = 60 if juvenile else (180 if article == "347" else 96)
    shortest = 30 if story == "prison_parole" else 7
    return "fixed_term_imprisonment", rng.randint(shortest, max(shortest, longest)), None


def _offence_window(
    person: SimPerson, story: str, term: int | None, juvenile: bool
) -> tuple[dt.date, dt.date]:
    high = REFERENCE_DATE - dt.timedelta(days=420)
    if story == "prison_parole" and term is not None:
        high = REFERENCE_DATE - dt.timedelta(days=int(term * 30.5 * 0.8) + 450)
    if story == "police_only":
        high = REFERENCE_DATE - dt.timedelta(days=30)
    low = max(_birthday(person, 15 if juvenile else 18), EARLIEST_OFFENCE)
    if juvenile:
        high = min(high, _birthday(person, 18) - dt.timedelta(days=1))
    return low, high


def _criminal_story(builder: _Builder, person: SimPerson, county: str, story: str, juvenile: bool) -> None:
    rng = builder.rng
    weights = STORY_CHARGES.get(story, STORY_CHARGES["prison" if story == "prison_parole" else "suspended"])
    article = rng.choices(list(weights), weights=list(weights.values()))[0]
    penalty, term, probation = _sentence(builder, story, article, juvenile)

    if story == "pending_appeal":
        judged = REFERENCE_DATE - dt.timedelta(days=rng.randint(3, 60))
        filed = judged - dt.timedelta(days=rng.randint(80, 280))
        offence = filed - dt.timedelta(days=rng.randint(0, 20))
        if offence < _birthday(person, 18):
            return
    else:
        low, high = _offence_window(person, story, term, juvenile)
        if low > high:
            return
        offence = _random_day(builder, low, high)
        filed = offence + dt.timedelta(days=rng.randint(0, 20))
        judged = filed + dt.timedelta(days=rng.randint(80, 280))

    case = _police_case(builder, person, county, article, filed, story)
    if story == "police_only":
        return
    effective = None if story == "pending_appeal" else judged + dt.timedelta(days=rng.randint(11, 25))
    case.status = "closed" if effective else "transferred_for_prosecution"
    detention_served = penalty == "criminal_detention" and probation is None
    in_custody = story in ("prison", "prison_parole") or detention_served
    case.measures.extend(_measures(builder, filed, judged, effective, in_custody))

    act = rng.choice(("贩卖", "运输")) if article == "347" else None
    judgment = SimJudgment(
        case_number="",
        person_id=person.person_id,
        court_name=court_name(county),
        court_code=f"川34{county[4:]}",
        verdict="not_guilty" if story == "not_guilty" else "guilty",
        penalty=penalty,
        term_months=term,
        probation_months=probation,
        charges=[charge(article, act)],
        judgment_date=judged,
        effective_date=effective,
        offence_date=offence,
        procuratorate=procuratorate(county),
        police_case_number=case.police_case_number,
        correction_type=_court_correction(story),
        fine_yuan=rng.randrange(1000, 30000, 1000) if article in ("347", "133-1", "264") else None,
    )
    if article == "347" and term is not None and term >= 120:
        judgment.court_name = "凉山彝族自治州中级人民法院"
        judgment.court_code = "川34"
        judgment.procuratorate = "凉山彝族自治州人民检察院"
    judgment.case_number = _case_number(builder, judgment.court_code, county, filed)
    builder.judgments.append(judgment)

    if effective is None or term is None:
        return
    if story in ("prison", "prison_parole"):
        _prison_stay(builder, person, judgment, filed, effective, term, county, story == "prison_parole")
    elif judgment.correction_type is not None:
        until = add_months(effective, probation or term)
        _correction(builder, person, judgment, judgment.correction_type, effective, until)


def _police_case(
    builder: _Builder, person: SimPerson, county: str, article: str, filed: dt.date, story: str
) -> SimPoliceCase:
    status = "closed"
    measures: list[SimCoerciveMeasure] = []
    if story == "police_only":
        status = builder.rng.choice(POLICE_ONLY_STATUSES)
        if status != "withdrawn" and builder.rng.random() < 0.6:
            measures.append(SimCoerciveMeasure("bail", filed + dt.timedelta(days=1), None))
    case = SimPoliceCase(
        police_case_number=police_case_number(builder, county, filed),
        person_id=person.person_id,
        case_type=CHARGES[article][1],
        status=status,
        filed_on=filed,
        unit=police_unit(county),
        measures=measures,
    )
    builder.police_cases.append(case)
    return case


def _measures(
    builder: _Builder, filed: dt.date, judged: dt.date, effective: dt.date | None, in_custody: bool
) -> list[SimCoerciveMeasure]:
    released = filed + dt.timedelta(days=builder.rng.randint(3, 30))
    first = SimCoerciveMeasure("criminal_detention", filed, released)
    if in_custody:
        return [first, SimCoerciveMeasure("arrest", released, effective or None)]
    return [first, SimCoerciveMeasure("bail", released, judged)]


def _court_correction(story: str) -> str | None:
    return {
        "suspended": "suspended_sentence",
        "surveillance": "public_surveillance",
        "temporary": "temporary_service_outside_prison",
    }.get(story)


def _case_number(builder: _Builder, court_code: str, county: str, filed: dt.date) -> str:
    """Case numbers as courts wrote them: 2016 forms with mixed brackets, older 字第 forms."""
    year = (filed + dt.timedelta(days=60)).year
    serial = builder.next_serial(f"{court_code}{year}")
    if year < 2016:
        court = "川凉中" if court_code == "川34" else COUNTY_SHORT[county] + "法"
        return f"({year}){court}刑初字第{serial}号"
    opening, closing = builder.rng.choices(("（）", "()", "〔〕", "[]"), weights=(60, 20, 10, 10))[0]
    return f"{opening}{year}{closing}{court_code}刑初{serial}号"


def _prison_stay(
    builder: _Builder,
    person: SimPerson,
    judgment: SimJudgment,
    filed: dt.date,
    effective: dt.date,
    term: int,
    county: str,
    parole: bool,
) -> None:
    rng = builder.rng
    admitted = effective + dt.timedelta(days=rng.randint(3, 9))
    # Custody before trial counts against the term (Criminal Law art. 47).
    end = add_months(filed, term) - dt.timedelta(days=1)
    reductions: list[SimSentenceReduction] = []
    ruled = admitted
    for _ in range(rng.randint(0, min(3, term // 24))):
        ruled = add_months(ruled, rng.randint(12, 20))
        if ruled >= min(end, REFERENCE_DATE):
            break
        months = rng.randint(4, 10)
        if add_months(end, -months) <= ruled:
            break
        reductions.append(SimSentenceReduction(ruled, months))
        end = add_months(end, -months)

    released_on, release_type = (end, "release") if end <= REFERENCE_DATE else (None, None)
    paroled = add_months(filed, (term * 7) // 10)
    if parole and reductions and paroled <= reductions[-1].ruled_on:
        paroled = reductions[-1].ruled_on + dt.timedelta(days=90)
    if parole and admitted < paroled < end and paroled <= REFERENCE_DATE - dt.timedelta(days=15):
        released_on, release_type = paroled, "parole"

    builder.prison_stays.append(
        SimPrisonStay(
            person_id=person.person_id,
            case_number=judgment.case_number,
            prison_name=rng.choice(PRISONS),
            admitted_on=admitted,
            sentence_end_date=end,
            released_on=released_on,
            release_type=release_type,
            reductions=reductions,
        )
    )
    if release_type == "parole" and released_on is not None:
        _correction(builder, person, judgment, "parole", released_on, end + dt.timedelta(days=1))


def _correction(
    builder: _Builder, person: SimPerson, judgment: SimJudgment, kind: str, start: dt.date, until: dt.date
) -> None:
    """Correction from ``start`` to the day before ``until``.

    Reporting in is due within 10 days (Community Correction Law art. 21).
    """
    rng = builder.rng
    draw = rng.random()
    if (REFERENCE_DATE - start).days < 10 and draw < 0.7:
        reporting, reported_on = "pending", None
    elif draw < 0.85:
        reporting, reported_on = "reported", start + dt.timedelta(days=rng.randint(1, 10))
    elif draw < 0.95:
        reporting, reported_on = "reported_late", start + dt.timedelta(days=rng.randint(11, 25))
    else:
        reporting, reported_on = "not_reported", None
    if reported_on is not None and reported_on > REFERENCE_DATE:
        reporting, reported_on = "pending", None

    end = until - dt.timedelta(days=1)
    status = "completed" if end < REFERENCE_DATE else "active"
    if reporting == "not_reported":
        status = "revoked"
    builder.corrections.append(
        SimCorrection(
            person_id=person.person_id,
            case_number=judgment.case_number,
            correction_type=kind,
            county_code=(current_county(person.county_code) or COUNTIES["513401"]).code,
            start_date=start,
            end_date=end,
            reporting_status=reporting,
            reported_on=reported_on,
            status=status,
        )
    )
