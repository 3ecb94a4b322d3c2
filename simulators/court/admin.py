"""The JSON a demo or test posts to ``/admin/judgments``, and its conversion to court rows.

Values are canonical (``adapters.records`` enum values, GB/T 2261.1 sex codes, GB 3304
ethnicity codes, ISO dates); the court's legacy text codes are applied here.
"""

from __future__ import annotations

import datetime as dt
from typing import NotRequired, TypedDict

from simulators.codes import ETHNICITY_NAMES, SEX_NAMES
from simulators.court import store


class PersonIn(TypedDict):
    name: str
    id_number: str  # stored as given: 18 characters or the legacy 15 digits
    sex_code: NotRequired[str]
    ethnicity_code: NotRequired[str]
    birth_date: NotRequired[str]
    county_code: NotRequired[str | None]


class ChargeIn(TypedDict):
    name: str
    article: str
    act: NotRequired[str | None]


class JudgmentFieldsIn(TypedDict):
    case_number: str
    court_name: str
    court_code: str
    verdict: str
    penalty: str
    charges: list[ChargeIn]
    judgment_date: str
    term_months: NotRequired[int | None]
    probation_months: NotRequired[int | None]
    fine_yuan: NotRequired[int | None]
    effective_date: NotRequired[str | None]
    offence_date: NotRequired[str | None]
    procuratorate: NotRequired[str | None]
    correction_type: NotRequired[str | None]
    police_case_number: NotRequired[str | None]  # AJBH of the police case, when known


class JudgmentIn(TypedDict):
    person: PersonIn
    judgment: JudgmentFieldsIn


def rows_from_json(data: JudgmentIn) -> tuple[store.PartyRow, store.Row]:
    """Convert posted JSON to the court's party and judgment rows; raise on a missing key."""
    person, judgment = data["person"], data["judgment"]
    party = store.PartyRow(
        XM=person["name"],
        SFZH=person["id_number"],
        XB=SEX_NAMES.get(person.get("sex_code", ""), "未知"),
        MZ=ETHNICITY_NAMES.get(person.get("ethnicity_code", ""), "其他"),
        CSRQ=_compact(person.get("birth_date")),
        JZDXZQH=person.get("county_code"),
    )
    row: store.Row = {
        "AH": judgment["case_number"],
        "FYMC": judgment["court_name"],
        "FYDM": judgment["court_code"],
        "PJJG": store.VERDICT_TEXT[judgment["verdict"]],
        "ZXLX": store.PENALTY_TEXT[judgment["penalty"]],
        "XQ": judgment.get("term_months"),
        "HXKYQ": judgment.get("probation_months"),
        "FJ": judgment.get("fine_yuan"),
        "PJRQ": _compact(judgment["judgment_date"]),
        "SXRQ": _compact(judgment.get("effective_date")),
        "FZRQ": _compact(judgment.get("offence_date")),
        "GSJG": judgment.get("procuratorate"),
        "SQJZLX": store.CORRECTION_TEXT.get(judgment.get("correction_type") or ""),
        "GAAJBH": judgment.get("police_case_number"),
        "charges": [(c["name"], c["article"], c.get("act")) for c in judgment["charges"]],
    }
    return party, row


def _compact(value: str | None) -> str | None:
    if not value:
        return None
    return dt.date.fromisoformat(value).strftime("%Y%m%d")
