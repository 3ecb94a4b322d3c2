"""The justice-bureau stand-in: the community-correction (社区矫正) database.

A newer system (built after the 2020 Community Correction Law) with 18-character ID
numbers, GB/T 2261.1 sex codes, real DATE columns and its own code tables:

    sqjz_dm_jzlb  correction type: 01 管制, 02 缓刑, 03 假释, 04 暂予监外执行
    sqjz_jzry     person under correction: id key, xm name, sfzh ID number, xb sex code,
                  mz ethnicity code, csrq DATE
    sqjz_jzxx     correction period: id key, jzry_id, ah case number, jzlb type code,
                  qsrq start DATE, zzrq end DATE.
                  bdzt reporting status code (0 待报到, 1 按期报到, 2 逾期报到, 3 未报到),
                  bdrq reported DATE.
                  jzdw county code of the office, jzzt status code (10 在矫, 20 解矫, 30 收监).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import CHAR, Column, Date, ForeignKey, Integer, MetaData, String, Table

from simulators.model import Dataset
from simulators.sqlload import recreate

metadata = MetaData()

sqjz_dm_jzlb = Table(
    "sqjz_dm_jzlb",
    metadata,
    Column("dm", CHAR(2), primary_key=True),
    Column("mc", String(20), nullable=False),
)
sqjz_jzry = Table(
    "sqjz_jzry",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("xm", String(50), nullable=False),
    Column("sfzh", String(18), index=True, nullable=False),
    Column("xb", CHAR(1)),
    Column("mz", CHAR(2)),
    Column("csrq", Date),
)
sqjz_jzxx = Table(
    "sqjz_jzxx",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("jzry_id", Integer, ForeignKey("sqjz_jzry.id"), index=True, nullable=False),
    Column("ah", String(60)),
    Column("jzlb", CHAR(2), ForeignKey("sqjz_dm_jzlb.dm"), nullable=False),
    Column("qsrq", Date),
    Column("zzrq", Date),
    Column("bdzt", CHAR(1)),
    Column("bdrq", Date),
    Column("jzdw", CHAR(6)),
    Column("jzzt", CHAR(2)),
)

TYPE_CODES = {
    "public_surveillance": ("01", "管制"),
    "suspended_sentence": ("02", "缓刑"),
    "parole": ("03", "假释"),
    "temporary_service_outside_prison": ("04", "暂予监外执行"),
}
REPORTING_CODES = {"pending": "0", "reported": "1", "reported_late": "2", "not_reported": "3"}
STATUS_CODES = {"active": "10", "completed": "20", "revoked": "30"}


def build_rows(dataset: Dataset) -> dict[Table, list[dict[str, Any]]]:
    """Return every row of the justice-bureau stand-in for ``dataset``."""
    people: dict[int, dict[str, Any]] = {}
    periods = []
    for index, correction in enumerate(dataset.corrections, start=1):
        person = dataset.person(correction.person_id)
        people[person.person_id] = {
            "id": person.person_id + 1,
            "xm": person.name,
            "sfzh": person.id_number,
            "xb": person.sex_code,
            "mz": person.ethnicity_code,
            "csrq": person.birth_date,
        }
        periods.append(
            {
                "id": index,
                "jzry_id": person.person_id + 1,
                "ah": correction.case_number,
                "jzlb": TYPE_CODES[correction.correction_type][0],
                "qsrq": correction.start_date,
                "zzrq": correction.end_date,
                "bdzt": REPORTING_CODES[correction.reporting_status],
                "bdrq": correction.reported_on,
                "jzdw": correction.county_code,
                "jzzt": STATUS_CODES[correction.status],
            }
        )
    return {
        sqjz_dm_jzlb: [{"dm": code, "mc": name} for code, name in TYPE_CODES.values()],
        sqjz_jzry: list(people.values()),
        sqjz_jzxx: periods,
    }


def create_and_load(url: str, dataset: Dataset) -> None:
    """Drop and recreate the community-correction schema at ``url`` and fill it from ``dataset``."""
    recreate(url, metadata, build_rows(dataset))
