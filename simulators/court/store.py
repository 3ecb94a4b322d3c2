"""The court system's own SQLite database: parties, judgments, charges, change numbers.

Columns carry the pinyin abbreviations of the legacy system (XM name, SFZH ID number,
AH case number, GAAJBH the police case number the case came from, BGXH change sequence
number). Values are the court's legacy text codes
(有罪, 有期徒刑, 缓刑, 男), written from the canonical data set by ``create_and_load``.
Every insert or update of a judgment takes the next change sequence number, which
``listPjbgAfterXh`` pages through.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypedDict

from adapters.casenumber import try_parse_case_number
from simulators.codes import ETHNICITY_NAMES, SEX_NAMES
from simulators.model import Dataset, SimJudgment, SimPerson

VERDICT_TEXT = {"guilty": "有罪", "guilty_exempt": "有罪免予刑事处罚", "not_guilty": "无罪"}
PENALTY_TEXT = {
    "death": "死刑",
    "life_imprisonment": "无期徒刑",
    "fixed_term_imprisonment": "有期徒刑",
    "criminal_detention": "拘役",
    "public_surveillance": "管制",
    "fine_only": "单处罚金",
    "deprivation_of_political_rights_only": "单处剥夺政治权利",
    "exempt": "免予刑事处罚",
    "none": "无",
}
CORRECTION_TEXT = {
    "public_surveillance": "管制",
    "suspended_sentence": "缓刑",
    "parole": "假释",
    "temporary_service_outside_prison": "暂予监外执行",
}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS DSR (
    DSRBH INTEGER PRIMARY KEY,
    XM TEXT NOT NULL, SFZH TEXT, XB TEXT, MZ TEXT, CSRQ TEXT, JZDXZQH TEXT
);
CREATE INDEX IF NOT EXISTS DSR_SFZH ON DSR (SFZH);
CREATE TABLE IF NOT EXISTS AJ_PJ (
    AH TEXT PRIMARY KEY,
    AH_GF TEXT NOT NULL,
    DSRBH INTEGER NOT NULL REFERENCES DSR (DSRBH),
    FYMC TEXT, FYDM TEXT, PJJG TEXT, ZXLX TEXT, XQ INTEGER, HXKYQ INTEGER, FJ INTEGER,
    PJRQ TEXT, SXRQ TEXT, FZRQ TEXT, GSJG TEXT, SQJZLX TEXT, GAAJBH TEXT,
    BGXH INTEGER NOT NULL UNIQUE
);
CREATE INDEX IF NOT EXISTS AJ_PJ_GF ON AJ_PJ (AH_GF);
CREATE TABLE IF NOT EXISTS AJ_ZM (
    AH TEXT NOT NULL, XH INTEGER NOT NULL, ZMMC TEXT NOT NULL, FT TEXT, XW TEXT,
    PRIMARY KEY (AH, XH)
);
"""

Row = dict[str, Any]


class PartyRow(TypedDict):
    XM: str
    SFZH: str | None
    XB: str | None
    MZ: str | None
    CSRQ: str | None
    JZDXZQH: str | None


@contextmanager
def connect(path: str) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        with conn:
            yield conn
    finally:
        conn.close()


def create_and_load(path: str, dataset: Dataset) -> None:
    """Create the court database at ``path`` and write every judgment of ``dataset``."""
    with connect(path) as conn:
        conn.executescript(_SCHEMA)
        _add_police_case_column(conn)
        for judgment in dataset.judgments:
            person = dataset.person(judgment.person_id)
            write_judgment(conn, party_from_person(person, judgment), judgment_row(judgment))


def create_schema(path: str) -> None:
    with connect(path) as conn:
        conn.executescript(_SCHEMA)
        _add_police_case_column(conn)


def party_from_person(person: SimPerson, judgment: SimJudgment) -> PartyRow:
    # Judgments entered before 2016 by a system that kept only the 15-digit number.
    old = person.legacy_15_only and judgment.judgment_date.year < 2016 and person.id_number[6:8] == "19"
    id_number = person.id_number[:6] + person.id_number[8:17] if old else person.id_number
    return PartyRow(
        XM=person.name,
        SFZH=id_number,
        XB=SEX_NAMES.get(person.sex_code, "未知"),
        MZ=ETHNICITY_NAMES.get(person.ethnicity_code, "其他"),
        CSRQ=_date_text(person.birth_date),
        JZDXZQH=person.county_code,
    )


def judgment_row(judgment: SimJudgment) -> Row:
    return {
        "AH": judgment.case_number,
        "FYMC": judgment.court_name,
        "FYDM": judgment.court_code,
        "PJJG": VERDICT_TEXT.get(judgment.verdict, judgment.verdict),
        "ZXLX": PENALTY_TEXT.get(judgment.penalty, judgment.penalty),
        "XQ": judgment.term_months,
        "HXKYQ": judgment.probation_months,
        "FJ": judgment.fine_yuan,
        "PJRQ": _date_text(judgment.judgment_date),
        "SXRQ": _date_text(judgment.effective_date),
        "FZRQ": _date_text(judgment.offence_date),
        "GSJG": judgment.procuratorate,
        "SQJZLX": CORRECTION_TEXT.get(judgment.correction_type or ""),
        "GAAJBH": judgment.police_case_number,
        "charges": [(c.name, c.article, c.act) for c in judgment.charges],
    }


def write_judgment(conn: sqlite3.Connection, party: PartyRow, row: Row) -> int:
    """Insert or replace one judgment and its party; return its new change sequence number."""
    party_id = _party_id(conn, party)
    sequence = conn.execute("SELECT COALESCE(MAX(BGXH), 0) + 1 FROM AJ_PJ").fetchone()[0]
    columns = {key: value for key, value in row.items() if key != "charges"}
    columns.update(AH_GF=try_parse_case_number(row["AH"]).canonical, DSRBH=party_id, BGXH=sequence)
    names = ", ".join(columns)
    marks = ", ".join("?" for _ in columns)
    conn.execute(f"INSERT OR REPLACE INTO AJ_PJ ({names}) VALUES ({marks})", tuple(columns.values()))  # noqa: S608
    conn.execute("DELETE FROM AJ_ZM WHERE AH = ?", (row["AH"],))
    conn.executemany(
        "INSERT INTO AJ_ZM (AH, XH, ZMMC, FT, XW) VALUES (?, ?, ?, ?, ?)",
        [(row["AH"], index, *charge) for index, charge in enumerate(row["charges"], start=1)],
    )
    return int(sequence)


def judgments_by_id_number(conn: sqlite3.Connection, id_number: str) -> list[tuple[Row, Row]]:
    rows = conn.execute(_SELECT + " WHERE d.SFZH = ? ORDER BY p.PJRQ, p.AH", (id_number,)).fetchall()
    return [_split(conn, row) for row in rows]


def judgment_by_case_number(conn: sqlite3.Connection, case_number: str) -> tuple[Row, Row] | None:
    canonical = try_parse_case_number(case_number).canonical
    query = _SELECT + " WHERE p.AH = ? OR p.AH_GF = ? LIMIT 1"
    row = conn.execute(query, (case_number, canonical)).fetchone()
    return None if row is None else _split(conn, row)


def judgments_after(conn: sqlite3.Connection, sequence: int, limit: int) -> list[tuple[Row, Row]]:
    rows = conn.execute(_SELECT + " WHERE p.BGXH > ? ORDER BY p.BGXH LIMIT ?", (sequence, limit)).fetchall()
    return [_split(conn, row) for row in rows]


_SELECT = "SELECT d.XM, d.SFZH, d.XB, d.MZ, d.CSRQ, d.JZDXZQH, p.* FROM AJ_PJ p JOIN DSR d USING (DSRBH)"
_PARTY_COLUMNS = ("XM", "SFZH", "XB", "MZ", "CSRQ", "JZDXZQH")


def _split(conn: sqlite3.Connection, row: sqlite3.Row) -> tuple[Row, Row]:
    data = dict(row)
    party = {key: data.pop(key) for key in _PARTY_COLUMNS}
    charges = conn.execute("SELECT ZMMC, FT, XW FROM AJ_ZM WHERE AH = ? ORDER BY XH", (data["AH"],))
    data["charges"] = [tuple(charge) for charge in charges]
    return party, data


def _add_police_case_column(conn: sqlite3.Connection) -> None:
    # A court database created before the GAAJBH column existed (a kept demo directory) gets it, empty.
    columns = {row["name"] for row in conn.execute("PRAGMA table_info(AJ_PJ)")}
    if "GAAJBH" not in columns:
        conn.execute("ALTER TABLE AJ_PJ ADD COLUMN GAAJBH TEXT")


def _party_id(conn: sqlite3.Connection, party: PartyRow) -> int:
    found = conn.execute(
        "SELECT DSRBH FROM DSR WHERE SFZH IS ? AND XM = ?", (party["SFZH"], party["XM"])
    ).fetchone()
    if found is not None:
        conn.execute(
            "UPDATE DSR SET XB = ?, MZ = ?, CSRQ = ?, JZDXZQH = ? WHERE DSRBH = ?",
            (party["XB"], party["MZ"], party["CSRQ"], party["JZDXZQH"], found[0]),
        )
        return int(found[0])
    cursor = conn.execute(
        "INSERT INTO DSR (XM, SFZH, XB, MZ, CSRQ, JZDXZQH) VALUES (?, ?, ?, ?, ?, ?)",
        tuple(party.values()),
    )
    return int(cursor.lastrowid or 0)


def _date_text(value: dt.date | None) -> str | None:
    return None if value is None else value.strftime("%Y%m%d")
