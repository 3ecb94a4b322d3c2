"""The prison stand-in: an offender-management database with lower-case abbreviations.

Schema:

    zf_jbxx   罪犯基本信息 offender: zfbh key, xm name, bm alias (Han school name),
              sfzh ID number, xb sex as 男/女, mz ethnicity by name (彝族), csrq DATE,
              hjd residence region
    zf_rjdj   入监登记 admission: rjbh key, zfbh, jyqc prison name, ah case number,
              rjrq DATE admitted, xq sentence as text ('7年', '2年6个月', '8个月'),
              xqzr current sentence end as 'YYYY-MM-DD' text
    zf_jxjs   减刑 sentence reduction: jxbh key, rjbh, cdrq DATE ruled, jxfd reduction as text
    zf_sfdj   释放登记 release: sfbh key, rjbh, sfrq DATE, sflx 刑满释放 or 假释

People flagged ``legacy_15_only`` carry their 15-digit number.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Date, MetaData, String, Table

from simulators.codes import ETHNICITY_NAMES, SEX_NAMES
from simulators.model import Dataset, SimPerson
from simulators.sqlload import recreate

metadata = MetaData()

zf_jbxx = Table(
    "zf_jbxx",
    metadata,
    Column("zfbh", String(20), primary_key=True),
    Column("xm", String(50), nullable=False),
    Column("bm", String(50)),
    Column("sfzh", String(18), index=True),
    Column("xb", String(2)),
    Column("mz", String(10)),
    Column("csrq", Date),
    Column("hjd", String(6)),
)
zf_rjdj = Table(
    "zf_rjdj",
    metadata,
    Column("rjbh", String(20), primary_key=True),
    Column("zfbh", String(20), index=True, nullable=False),
    Column("jyqc", String(50)),
    Column("ah", String(60)),
    Column("rjrq", Date),
    Column("xq", String(20)),
    Column("xqzr", String(10)),
)
zf_jxjs = Table(
    "zf_jxjs",
    metadata,
    Column("jxbh", String(24), primary_key=True),
    Column("rjbh", String(20), index=True, nullable=False),
    Column("cdrq", Date),
    Column("jxfd", String(20)),
)
zf_sfdj = Table(
    "zf_sfdj",
    metadata,
    Column("sfbh", String(24), primary_key=True),
    Column("rjbh", String(20), index=True, nullable=False),
    Column("sfrq", Date),
    Column("sflx", String(10)),
)

RELEASE_TYPES = {"release": "刑满释放", "parole": "假释"}


def term_text(months: int) -> str:
    """Write a term of ``months`` as prison clerks do: 7年, 2年6个月, 8个月."""
    years, rest = divmod(months, 12)
    if not rest:
        return f"{years}年"
    if not years:
        return f"{rest}个月"
    return f"{years}年{rest}个月"


def offender_key(person: SimPerson) -> str:
    return f"ZF{person.person_id:06d}"


def _offender_row(person: SimPerson) -> dict[str, Any]:
    number = person.id_number[:6] + person.id_number[8:17] if person.legacy_15_only else person.id_number
    return {
        "zfbh": offender_key(person),
        "xm": person.name,
        "bm": person.han_name,
        "sfzh": number,
        "xb": SEX_NAMES[person.sex_code],
        "mz": ETHNICITY_NAMES.get(person.ethnicity_code, "其他"),
        "csrq": person.birth_date,
        "hjd": person.county_code,
    }


def build_rows(dataset: Dataset) -> dict[Table, list[dict[str, Any]]]:
    """Return every row of the prison stand-in for ``dataset``."""
    terms = {judgment.case_number: judgment.term_months for judgment in dataset.judgments}
    offenders: dict[int, dict[str, Any]] = {}
    admissions, reductions, releases = [], [], []
    for index, stay in enumerate(dataset.prison_stays, start=1):
        person = dataset.person(stay.person_id)
        offenders[person.person_id] = _offender_row(person)
        key = f"RJ{stay.admitted_on:%Y}{index:06d}"
        admissions.append(
            {
                "rjbh": key,
                "zfbh": offender_key(person),
                "jyqc": stay.prison_name,
                "ah": stay.case_number,
                "rjrq": stay.admitted_on,
                "xq": term_text(terms.get(stay.case_number) or 0),
                "xqzr": stay.sentence_end_date.isoformat(),
            }
        )
        for number, reduction in enumerate(stay.reductions, start=1):
            reductions.append(
                {
                    "jxbh": f"{key}-{number}",
                    "rjbh": key,
                    "cdrq": reduction.ruled_on,
                    "jxfd": term_text(reduction.months),
                }
            )
        if stay.released_on is not None and stay.release_type is not None:
            releases.append(
                {
                    "sfbh": f"{key}-S",
                    "rjbh": key,
                    "sfrq": stay.released_on,
                    "sflx": RELEASE_TYPES[stay.release_type],
                }
            )
    return {
        zf_jbxx: list(offenders.values()),
        zf_rjdj: admissions,
        zf_jxjs: reductions,
        zf_sfdj: releases,
    }


def create_and_load(url: str, dataset: Dataset) -> None:
    """Drop and recreate the prison schema at ``url`` and fill it from ``dataset``."""
    recreate(url, metadata, build_rows(dataset))
