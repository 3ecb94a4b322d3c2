"""The justice-bureau adapter: the community-correction database (sqjz_jzry, sqjz_jzxx).

The newest of the three systems: 18-character ID numbers, GB/T 2261.1 sex codes, GB 3304
ethnicity codes and real DATE columns, with its own codes for the correction type, the
reporting-in status and the correction status.
"""

from __future__ import annotations

from sqlalchemy import CHAR, ColumnElement, Date, Integer, String, column, select, table
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.casenumber import try_parse_case_number
from adapters.idnumber import IdNumber
from adapters.records import (
    Agency,
    AgencyRecords,
    CorrectionRecord,
    CorrectionStatus,
    CorrectionType,
    PersonIdentity,
    ReportingStatus,
    SourceRef,
)
from adapters.sql import (
    Owners,
    SqlAdapter,
    all_id_number_keys,
    id_number_keys,
    iso_date,
    map_code,
    normalised_id_number,
)

sqjz_jzry = table(
    "sqjz_jzry",
    column("id", Integer),
    column("xm", String),
    column("sfzh", String),
    column("xb", CHAR),
    column("mz", CHAR),
    column("csrq", Date),
)
sqjz_jzxx = table(
    "sqjz_jzxx",
    column("id", Integer),
    column("jzry_id", Integer),
    column("ah", String),
    column("jzlb", CHAR),
    column("qsrq", Date),
    column("zzrq", Date),
    column("bdzt", CHAR),
    column("bdrq", Date),
    column("jzdw", CHAR),
    column("jzzt", CHAR),
)

SEX_CODES = {"0": "0", "1": "1", "2": "2", "9": "9", "": "0"}
# Community Correction Law art. 2: the four types, as the bureau's sqjz_dm_jzlb codes them.
CORRECTION_TYPES = {
    "01": CorrectionType.PUBLIC_SURVEILLANCE,
    "02": CorrectionType.SUSPENDED_SENTENCE,
    "03": CorrectionType.PAROLE,
    "04": CorrectionType.TEMPORARY_SERVICE_OUTSIDE_PRISON,
}
REPORTING = {
    "0": ReportingStatus.PENDING,
    "1": ReportingStatus.REPORTED,
    "2": ReportingStatus.REPORTED_LATE,
    "3": ReportingStatus.NOT_REPORTED,
}
STATUSES = {"10": CorrectionStatus.ACTIVE, "20": CorrectionStatus.COMPLETED, "30": CorrectionStatus.REVOKED}


class CorrectionAdapter(SqlAdapter):
    """Adapter for the justice bureau: people under community correction and their periods."""

    agency = Agency.JUSTICE_BUREAU

    async def _fetch(self, conn: AsyncConnection, id_number: IdNumber) -> AgencyRecords:
        return await self._records(conn, sqjz_jzry.c.sfzh.in_(id_number_keys(id_number)))

    async def _fetch_by_keys(self, conn: AsyncConnection, keys: list[str]) -> AgencyRecords:
        numbers = [int(key) for key in keys if key.isdigit()]
        return await self._records(conn, sqjz_jzry.c.id.in_(numbers))

    async def _person_page(self, conn: AsyncConnection, after: str, limit: int) -> list[PersonIdentity]:
        start = int(after) if after.isdigit() else 0
        page = select(sqjz_jzry).where(sqjz_jzry.c.id > start).order_by(sqjz_jzry.c.id).limit(limit)
        return [self._person(row) for row in (await conn.execute(page)).mappings()]

    async def _records(self, conn: AsyncConnection, which: ColumnElement[bool]) -> AgencyRecords:
        records = AgencyRecords(agency=self.agency)
        people = await conn.execute(select(sqjz_jzry).where(which))
        person_rows = people.mappings().all()
        if not person_rows:
            return records

        keys = [row["id"] for row in person_rows]
        periods = await conn.execute(
            select(sqjz_jzxx).where(sqjz_jzxx.c.jzry_id.in_(keys)).order_by(sqjz_jzxx.c.qsrq)
        )
        records.persons = [self._person(row) for row in person_rows]
        records.corrections = [self._period(row) for row in periods.mappings()]
        return records

    async def _fetch_many(
        self, conn: AsyncConnection, id_numbers: list[IdNumber]
    ) -> dict[str, AgencyRecords]:
        owners = Owners(self.agency)
        people = await conn.execute(
            select(sqjz_jzry).where(sqjz_jzry.c.sfzh.in_(all_id_number_keys(id_numbers)))
        )
        for row in people.mappings().all():
            owners.add_person(row["id"], row["sfzh"], self._person(row))
        if not owners.keys:
            return owners.groups
        periods = await conn.execute(
            select(sqjz_jzxx).where(sqjz_jzxx.c.jzry_id.in_(owners.keys)).order_by(sqjz_jzxx.c.qsrq)
        )
        for row in periods.mappings():
            owners.group(row["jzry_id"]).corrections.append(self._period(row))
        return owners.groups

    def _person(self, row: RowMapping) -> PersonIdentity:
        stored = row["sfzh"]
        return PersonIdentity(
            source=SourceRef(self.agency, str(row["id"])),
            name=row["xm"],
            id_number=normalised_id_number(stored),
            id_number_as_recorded=stored,
            sex_code=map_code(SEX_CODES, row["xb"], field="sqjz_jzry.xb"),
            ethnicity_code=(row["mz"] or "").strip() or None,
            birth_date=iso_date(row["csrq"], field="sqjz_jzry.csrq"),
        )

    def _period(self, row: RowMapping) -> CorrectionRecord:
        return CorrectionRecord(
            source=SourceRef(self.agency, str(row["id"])),
            correction_type=map_code(CORRECTION_TYPES, row["jzlb"], field="sqjz_jzxx.jzlb"),
            county_code=(row["jzdw"] or "").strip(),
            start_date=iso_date(row["qsrq"], field="sqjz_jzxx.qsrq"),
            end_date=iso_date(row["zzrq"], field="sqjz_jzxx.zzrq"),
            reporting_status=map_code(REPORTING, row["bdzt"], field="sqjz_jzxx.bdzt"),
            reported_on=iso_date(row["bdrq"], field="sqjz_jzxx.bdrq"),
            status=map_code(STATUSES, row["jzzt"], field="sqjz_jzxx.jzzt"),
            case_number=try_parse_case_number(row["ah"]) if row["ah"] else None,
        )
