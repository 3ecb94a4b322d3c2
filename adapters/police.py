"""The police adapter: the legacy case-management database (T_RY_JBXX, T_AJ_JBXX, ...).

Names are pinyin initials in upper case (XM name, SFZH ID number, LASJ filing date).
Dates are CHAR(8) ``YYYYMMDD``, with ``00000000`` or blanks for unknown. Sex is M/F/U.
Ethnicity is GB 3304 plus the install's own 57 (其他) and 58 (外国血统). People born
before 2000 may be stored under their 15-digit number.
"""

from __future__ import annotations

from sqlalchemy import CHAR, ColumnElement, Integer, String, column, select, table
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.idnumber import IdNumber
from adapters.records import (
    AdministrativeDetention,
    Agency,
    AgencyRecords,
    CoerciveMeasure,
    CoerciveMeasureType,
    PersonIdentity,
    PoliceCase,
    PoliceCaseStatus,
    SourceRef,
)
from adapters.sql import (
    MappingError,
    Owners,
    SqlAdapter,
    all_id_number_keys,
    char_date,
    id_number_keys,
    map_code,
    normalised_id_number,
)

T_RY_JBXX = table(
    "T_RY_JBXX",
    column("RYBH", String),
    column("XM", String),
    column("CYM", String),
    column("SFZH", String),
    column("XB", CHAR),
    column("MZ", CHAR),
    column("CSRQ", CHAR),
    column("HJD", CHAR),
)
T_AJ_JBXX = table(
    "T_AJ_JBXX",
    column("AJBH", String),
    column("AJLB", String),
    column("AJZT", CHAR),
    column("LASJ", CHAR),
    column("BADW", String),
)
T_AJ_XYR = table("T_AJ_XYR", column("AJBH", String), column("RYBH", String), column("RYJS", CHAR))
T_QZCS = table(
    "T_QZCS",
    column("CSBH", String),
    column("AJBH", String),
    column("RYBH", String),
    column("CSLX", CHAR),
    column("KSRQ", CHAR),
    column("JSRQ", CHAR),
    column("ZXDW", String),
)
T_XZJL = table(
    "T_XZJL",
    column("JDSBH", String),
    column("RYBH", String),
    column("AY", String),
    column("KSRQ", CHAR),
    column("JLTS", Integer),
    column("ZXDW", String),
)

# T_DM_XB → GB/T 2261.1
SEX_CODES = {"M": "1", "F": "2", "U": "0", "": "0"}
# The install's own codes outside GB 3304 → GB 3304's 97 其他 and 98 外国血统中国籍人士.
NONSTANDARD_ETHNICITY = {"57": "97", "58": "98"}
CASE_STATUS = {
    "10": PoliceCaseStatus.FILED,
    "20": PoliceCaseStatus.UNDER_INVESTIGATION,
    "30": PoliceCaseStatus.TRANSFERRED_FOR_PROSECUTION,
    "40": PoliceCaseStatus.WITHDRAWN,
    "50": PoliceCaseStatus.CLOSED,
}
MEASURES = {
    "1": CoerciveMeasureType.SUMMONS,
    "2": CoerciveMeasureType.BAIL,
    "3": CoerciveMeasureType.RESIDENTIAL_SURVEILLANCE,
    "4": CoerciveMeasureType.CRIMINAL_DETENTION,
    "5": CoerciveMeasureType.ARREST,
}
ROLES = {"01": "suspect", "02": "victim", "03": "witness"}


class PoliceAdapter(SqlAdapter):
    """Adapter for the police system: people, cases, coercive measures and detentions."""

    agency = Agency.POLICE

    async def _fetch(self, conn: AsyncConnection, id_number: IdNumber) -> AgencyRecords:
        return await self._records(conn, T_RY_JBXX.c.SFZH.in_(id_number_keys(id_number)))

    async def _fetch_by_keys(self, conn: AsyncConnection, keys: list[str]) -> AgencyRecords:
        return await self._records(conn, T_RY_JBXX.c.RYBH.in_(keys))

    async def _fetch_many(
        self, conn: AsyncConnection, id_numbers: list[IdNumber]
    ) -> dict[str, AgencyRecords]:
        owners = Owners(self.agency)
        people = await conn.execute(
            select(T_RY_JBXX).where(T_RY_JBXX.c.SFZH.in_(all_id_number_keys(id_numbers)))
        )
        for row in people.mappings().all():
            owners.add_person(row["RYBH"], row["SFZH"], self._person(row))
        if not owners.keys:
            return owners.groups

        cases = await conn.execute(
            select(T_AJ_JBXX, T_AJ_XYR.c.RYJS, T_AJ_XYR.c.RYBH)
            .join(T_AJ_XYR, T_AJ_XYR.c.AJBH == T_AJ_JBXX.c.AJBH)
            .where(T_AJ_XYR.c.RYBH.in_(owners.keys))
            .order_by(T_AJ_JBXX.c.AJBH)
        )
        for row in cases.mappings():
            owners.group(row["RYBH"]).police_cases.append(self._case(row))
        measures = await conn.execute(
            select(T_QZCS).where(T_QZCS.c.RYBH.in_(owners.keys)).order_by(T_QZCS.c.CSBH)
        )
        for row in measures.mappings():
            owners.group(row["RYBH"]).coercive_measures.append(self._measure(row))
        detentions = await conn.execute(
            select(T_XZJL).where(T_XZJL.c.RYBH.in_(owners.keys)).order_by(T_XZJL.c.KSRQ)
        )
        for row in detentions.mappings():
            owners.group(row["RYBH"]).administrative_detentions.append(self._detention(row))
        return owners.groups

    async def _person_page(self, conn: AsyncConnection, after: str, limit: int) -> list[PersonIdentity]:
        page = select(T_RY_JBXX).where(T_RY_JBXX.c.RYBH > after).order_by(T_RY_JBXX.c.RYBH).limit(limit)
        return [self._person(row) for row in (await conn.execute(page)).mappings()]

    async def _records(self, conn: AsyncConnection, which: ColumnElement[bool]) -> AgencyRecords:
        records = AgencyRecords(agency=self.agency)
        people = await conn.execute(select(T_RY_JBXX).where(which))
        person_rows = people.mappings().all()
        if not person_rows:
            return records

        keys = [row["RYBH"] for row in person_rows]
        cases = await conn.execute(
            select(T_AJ_JBXX, T_AJ_XYR.c.RYJS)
            .join(T_AJ_XYR, T_AJ_XYR.c.AJBH == T_AJ_JBXX.c.AJBH)
            .where(T_AJ_XYR.c.RYBH.in_(keys))
            .order_by(T_AJ_JBXX.c.AJBH)
        )
        measures = await conn.execute(select(T_QZCS).where(T_QZCS.c.RYBH.in_(keys)).order_by(T_QZCS.c.CSBH))
        detentions = await conn.execute(select(T_XZJL).where(T_XZJL.c.RYBH.in_(keys)).order_by(T_XZJL.c.KSRQ))

        records.persons = [self._person(row) for row in person_rows]
        records.police_cases = [self._case(row) for row in cases.mappings()]
        records.coercive_measures = [self._measure(row) for row in measures.mappings()]
        records.administrative_detentions = [self._detention(row) for row in detentions.mappings()]
        return records

    def _person(self, row: RowMapping) -> PersonIdentity:
        stored = row["SFZH"]
        return PersonIdentity(
            source=SourceRef(self.agency, row["RYBH"]),
            name=row["XM"],
            id_number=normalised_id_number(stored),
            id_number_as_recorded=stored,
            sex_code=map_code(SEX_CODES, row["XB"], field="T_RY_JBXX.XB"),
            ethnicity_code=ethnicity_code(row["MZ"]),
            birth_date=char_date(row["CSRQ"], field="T_RY_JBXX.CSRQ"),
            county_code=(row["HJD"] or "").strip() or None,
            other_names=_names(row["CYM"]),
        )

    def _case(self, row: RowMapping) -> PoliceCase:
        return PoliceCase(
            source=SourceRef(self.agency, row["AJBH"]),
            police_case_number=row["AJBH"],
            case_type=row["AJLB"] or "",
            status=map_code(CASE_STATUS, row["AJZT"], field="T_AJ_JBXX.AJZT"),
            filed_on=char_date(row["LASJ"], field="T_AJ_JBXX.LASJ"),
            unit=row["BADW"] or "",
            role=map_code(ROLES, row["RYJS"], field="T_AJ_XYR.RYJS"),
        )

    def _measure(self, row: RowMapping) -> CoerciveMeasure:
        return CoerciveMeasure(
            source=SourceRef(self.agency, row["CSBH"]),
            measure=map_code(MEASURES, row["CSLX"], field="T_QZCS.CSLX"),
            start_date=char_date(row["KSRQ"], field="T_QZCS.KSRQ"),
            end_date=char_date(row["JSRQ"], field="T_QZCS.JSRQ"),
            police_case_number=row["AJBH"],
            unit=row["ZXDW"] or "",
        )

    def _detention(self, row: RowMapping) -> AdministrativeDetention:
        return AdministrativeDetention(
            source=SourceRef(self.agency, row["JDSBH"]),
            decision_number=row["JDSBH"],
            reason=row["AY"] or "",
            start_date=char_date(row["KSRQ"], field="T_XZJL.KSRQ"),
            days=int(row["JLTS"] or 0),
            unit=row["ZXDW"] or "",
        )


def ethnicity_code(value: str | None) -> str | None:
    """Return the GB 3304 code for a T_DM_MZ code, or None when the field is blank."""
    code = (value or "").strip()
    if not code:
        return None
    if code in NONSTANDARD_ETHNICITY:
        return NONSTANDARD_ETHNICITY[code]
    if len(code) == 2 and code.isdigit() and 1 <= int(code) <= 56:
        return code
    raise MappingError(f"T_RY_JBXX.MZ: unknown code '{code}', expected 01-56, 57 or 58")


def _names(*values: str | None) -> tuple[str, ...]:
    return tuple(value.strip() for value in values if value and value.strip())
