"""The police stand-in: a legacy case-management database with pinyin-initial names.

Schema (upper-case names, dates as CHAR(8) ``YYYYMMDD``; MariaDB tables use GBK like the
legacy install):

    T_DM_XB     sex codes: M, F, U.
    T_DM_MZ     ethnicity codes: GB 3304, plus 57 其他 and 58 外国血统.
    T_DM_AJZT   case status codes: 10 立案 … 50 结案.
    T_DM_QZCS   coercive measure codes: 1 拘传 … 5 逮捕.
    T_RY_JBXX   person: RYBH key, XM name, CYM former (Han school) name, SFZH ID number.
                XB sex, MZ ethnicity, CSRQ birth date, HJD residence region.
    T_AJ_JBXX   case: AJBH key, AJMC title, AJLB type, AJZT status, LASJ filed, BADW unit.
    T_AJ_XYR    case–suspect link: AJBH, RYBH, RYJS role.
    T_QZCS      coercive measure: CSBH key, AJBH, RYBH, CSLX type, KSRQ start, JSRQ end, ZXDW.
    T_XZJL      administrative detention: JDSBH decision number, RYBH, AY reason, KSRQ, JLTS days.

Legacy quirks written on purpose: people flagged ``legacy_15_only`` carry their 15-digit
number; some numbers end in a lower-case ``x``; unknown dates are ``00000000`` or eight
blanks; the install predates the Lisu and Naxi codes, so those people are 57 (其他).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import CHAR, Column, Integer, MetaData, String, Table

from simulators.codes import ETHNICITY_NAMES as NATIONAL_ETHNICITY_NAMES
from simulators.model import Dataset, SimPerson
from simulators.sqlload import char_date, recreate

metadata = MetaData()
_GBK: dict[str, Any] = {"mysql_charset": "gbk", "mariadb_charset": "gbk"}


def _code_table(name: str) -> Table:
    return Table(name, metadata, Column("DM", String(2), primary_key=True), Column("MC", String(20)), **_GBK)


T_DM_XB = _code_table("T_DM_XB")
T_DM_MZ = _code_table("T_DM_MZ")
T_DM_AJZT = _code_table("T_DM_AJZT")
T_DM_QZCS = _code_table("T_DM_QZCS")

T_RY_JBXX = Table(
    "T_RY_JBXX",
    metadata,
    Column("RYBH", String(20), primary_key=True),
    Column("XM", String(50), nullable=False),
    Column("CYM", String(50)),
    Column("SFZH", String(18), index=True),
    Column("XB", CHAR(1)),
    Column("MZ", CHAR(2)),
    Column("CSRQ", CHAR(8)),
    Column("HJD", CHAR(6)),
    **_GBK,
)
T_AJ_JBXX = Table(
    "T_AJ_JBXX",
    metadata,
    Column("AJBH", String(30), primary_key=True),
    Column("AJMC", String(100)),
    Column("AJLB", String(50)),
    Column("AJZT", CHAR(2)),
    Column("LASJ", CHAR(8)),
    Column("BADW", String(50)),
    **_GBK,
)
T_AJ_XYR = Table(
    "T_AJ_XYR",
    metadata,
    Column("AJBH", String(30), primary_key=True),
    Column("RYBH", String(20), primary_key=True),
    Column("RYJS", CHAR(2)),
    **_GBK,
)
T_QZCS = Table(
    "T_QZCS",
    metadata,
    Column("CSBH", String(40), primary_key=True),
    Column("AJBH", String(30), index=True),
    Column("RYBH", String(20), index=True),
    Column("CSLX", CHAR(1)),
    Column("KSRQ", CHAR(8)),
    Column("JSRQ", CHAR(8)),
    Column("ZXDW", String(50)),
    **_GBK,
)
T_XZJL = Table(
    "T_XZJL",
    metadata,
    Column("JDSBH", String(60), primary_key=True),
    Column("RYBH", String(20), index=True),
    Column("AY", String(100)),
    Column("KSRQ", CHAR(8)),
    Column("JLTS", Integer),
    Column("ZXDW", String(50)),
    **_GBK,
)

SEX_CODES = {"1": "M", "2": "F"}
# The police system's ethnicity table lacks some national codes (傈僳族, 纳西族) and has
# two of its own; residents with a missing code are recorded as 其他 (57).
ETHNICITY_NAMES = {code: NATIONAL_ETHNICITY_NAMES[code] for code in ("01", "03", "04", "06", "07")} | {
    "57": "其他",
    "58": "外国血统",
}
CASE_STATUS_CODES = {
    "filed": "10",
    "under_investigation": "20",
    "transferred_for_prosecution": "30",
    "withdrawn": "40",
    "closed": "50",
}
CASE_STATUS_NAMES = {"10": "立案", "20": "侦查中", "30": "移送审查起诉", "40": "撤案", "50": "结案"}
MEASURE_CODES = {
    "summons": "1",
    "bail": "2",
    "residential_surveillance": "3",
    "criminal_detention": "4",
    "arrest": "5",
}
MEASURE_NAMES = {"1": "拘传", "2": "取保候审", "3": "监视居住", "4": "刑事拘留", "5": "逮捕"}
BLANK_DATES = ("00000000", "        ")


def person_key(person: SimPerson) -> str:
    return f"R{person.county_code}{person.person_id:08d}"


def stored_id_number(person: SimPerson) -> str:
    """Return the SFZH text as the legacy system stores it."""
    if person.legacy_15_only:
        return person.id_number[:6] + person.id_number[8:17]
    if person.id_number.endswith("X") and person.person_id % 2 == 0:
        return person.id_number[:17] + "x"
    return person.id_number


def _person_row(person: SimPerson) -> dict[str, Any]:
    ethnicity = "57" if person.ethnicity_code not in ETHNICITY_NAMES else person.ethnicity_code
    birth = BLANK_DATES[0] if person.person_id % 97 == 5 else char_date(person.birth_date)
    return {
        "RYBH": person_key(person),
        "XM": person.name,
        "CYM": person.han_name,
        "SFZH": stored_id_number(person),
        "XB": SEX_CODES[person.sex_code],
        "MZ": ethnicity,
        "CSRQ": birth,
        "HJD": person.county_code,
    }


def build_rows(dataset: Dataset) -> dict[Table, list[dict[str, Any]]]:
    """Return every row of the police stand-in for ``dataset``."""
    people: dict[int, SimPerson] = {}
    for case in dataset.police_cases:
        people[case.person_id] = dataset.person(case.person_id)
    for detention in dataset.administrative_detentions:
        people[detention.person_id] = dataset.person(detention.person_id)

    cases, links, measures = [], [], []
    for index, case in enumerate(dataset.police_cases):
        person = people[case.person_id]
        cases.append(
            {
                "AJBH": case.police_case_number,
                "AJMC": f"{case.unit}{case.case_type}",
                "AJLB": case.case_type,
                "AJZT": CASE_STATUS_CODES[case.status],
                "LASJ": BLANK_DATES[1] if index % 53 == 7 else char_date(case.filed_on),
                "BADW": case.unit,
            }
        )
        links.append({"AJBH": case.police_case_number, "RYBH": person_key(person), "RYJS": "01"})
        for number, measure in enumerate(case.measures, start=1):
            measures.append(
                {
                    "CSBH": f"{case.police_case_number}-{number}",
                    "AJBH": case.police_case_number,
                    "RYBH": person_key(person),
                    "CSLX": MEASURE_CODES[measure.measure],
                    "KSRQ": char_date(measure.start_date),
                    "JSRQ": char_date(measure.end_date) if measure.end_date else BLANK_DATES[index % 2],
                    "ZXDW": case.unit,
                }
            )

    detentions = [
        {
            "JDSBH": detention.decision_number,
            "RYBH": person_key(people[detention.person_id]),
            "AY": detention.reason,
            "KSRQ": char_date(detention.start_date),
            "JLTS": detention.days,
            "ZXDW": detention.unit,
        }
        for detention in dataset.administrative_detentions
    ]
    return {
        T_DM_XB: [{"DM": "M", "MC": "男"}, {"DM": "F", "MC": "女"}, {"DM": "U", "MC": "未知"}],
        T_DM_MZ: [{"DM": code, "MC": name} for code, name in ETHNICITY_NAMES.items()],
        T_DM_AJZT: [{"DM": code, "MC": name} for code, name in CASE_STATUS_NAMES.items()],
        T_DM_QZCS: [{"DM": code, "MC": name} for code, name in MEASURE_NAMES.items()],
        T_RY_JBXX: [_person_row(person) for person in sorted(people.values(), key=lambda p: p.person_id)],
        T_AJ_JBXX: cases,
        T_AJ_XYR: links,
        T_QZCS: measures,
        T_XZJL: detentions,
    }


def create_and_load(url: str, dataset: Dataset) -> None:
    """Drop and recreate the police schema at ``url`` and fill it from ``dataset``."""
    recreate(url, metadata, build_rows(dataset))
