"""The prison adapter: the offender-management database (zf_jbxx, zf_rjdj, ...).

Names are lower-case pinyin abbreviations. Sex is stored as 男/女 and ethnicity by its
Chinese name (彝族). Sentence terms and reductions are text such as ``2年6个月``, and the
current sentence end is ``YYYY-MM-DD`` text. People born before 2000 may be stored under
their 15-digit number.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence

from sqlalchemy import ColumnElement, Date, String, column, select, table
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.casenumber import try_parse_case_number
from adapters.idnumber import IdNumber
from adapters.records import (
    Agency,
    AgencyRecords,
    CustodyEvent,
    CustodyEventType,
    CustodyRecord,
    PersonIdentity,
    SourceRef,
)
from adapters.sql import (
    MappingError,
    Owners,
    SqlAdapter,
    all_id_number_keys,
    id_number_keys,
    iso_date,
    map_code,
    normalised_id_number,
)

zf_jbxx = table(
    "zf_jbxx",
    column("zfbh", String),
    column("xm", String),
    column("bm", String),
    column("sfzh", String),
    column("xb", String),
    column("mz", String),
    column("csrq", Date),
    column("hjd", String),
)
zf_rjdj = table(
    "zf_rjdj",
    column("rjbh", String),
    column("zfbh", String),
    column("jyqc", String),
    column("ah", String),
    column("rjrq", Date),
    column("xq", String),
    column("xqzr", String),
)
zf_jxjs = table(
    "zf_jxjs", column("jxbh", String), column("rjbh", String), column("cdrq", Date), column("jxfd", String)
)
zf_sfdj = table(
    "zf_sfdj", column("sfbh", String), column("rjbh", String), column("sfrq", Date), column("sflx", String)
)

SEX_CODES = {"男": "1", "女": "2", "": "0"}
# Ethnicity names → GB 3304 codes, keyed without the trailing 族 that clerks sometimes omit.
ETHNICITY_CODES = {
    "汉": "01",
    "蒙古": "02",
    "回": "03",
    "藏": "04",
    "维吾尔": "05",
    "苗": "06",
    "彝": "07",
    "壮": "08",
    "布依": "09",
    "白": "14",
    "傈僳": "20",
    "纳西": "27",
    "其他": "97",
    "外国血统中国籍人士": "98",
}
RELEASE_EVENTS = {"刑满释放": CustodyEventType.RELEASE, "假释": CustodyEventType.PAROLE}
_TERM = re.compile(r"^(?:(\d+)年)?(?:(\d+)个?月)?$")


class PrisonAdapter(SqlAdapter):
    """Adapter for the prison system: offenders and their stays, with reductions and release."""

    agency = Agency.PRISON

    async def _fetch(self, conn: AsyncConnection, id_number: IdNumber) -> AgencyRecords:
        return await self._records(conn, zf_jbxx.c.sfzh.in_(id_number_keys(id_number)))

    async def _fetch_by_keys(self, conn: AsyncConnection, keys: list[str]) -> AgencyRecords:
        return await self._records(conn, zf_jbxx.c.zfbh.in_(keys))

    async def _person_page(self, conn: AsyncConnection, after: str, limit: int) -> list[PersonIdentity]:
        page = select(zf_jbxx).where(zf_jbxx.c.zfbh > after).order_by(zf_jbxx.c.zfbh).limit(limit)
        return [self._person(row) for row in (await conn.execute(page)).mappings()]

    async def _records(self, conn: AsyncConnection, which: ColumnElement[bool]) -> AgencyRecords:
        records = AgencyRecords(agency=self.agency)
        offenders = await conn.execute(select(zf_jbxx).where(which))
        offender_rows = offenders.mappings().all()
        if not offender_rows:
            return records

        keys = [row["zfbh"] for row in offender_rows]
        records.persons = [self._person(row) for row in offender_rows]
        records.custody = [custody for _, custody in await self._custody(conn, keys)]
        return records

    async def _fetch_many(
        self, conn: AsyncConnection, id_numbers: list[IdNumber]
    ) -> dict[str, AgencyRecords]:
        owners = Owners(self.agency)
        offenders = await conn.execute(
            select(zf_jbxx).where(zf_jbxx.c.sfzh.in_(all_id_number_keys(id_numbers)))
        )
        for row in offenders.mappings().all():
            owners.add_person(row["zfbh"], row["sfzh"], self._person(row))
        if owners.keys:
            for owner, custody in await self._custody(conn, owners.keys):
                owners.group(owner).custody.append(custody)
        return owners.groups

    async def _custody(
        self, conn: AsyncConnection, keys: Sequence[object]
    ) -> list[tuple[object, CustodyRecord]]:
        """Return the stays of the offenders with these keys, oldest first, each with its offender key."""
        stays = await conn.execute(select(zf_rjdj).where(zf_rjdj.c.zfbh.in_(keys)).order_by(zf_rjdj.c.rjrq))
        stay_rows = stays.mappings().all()
        stay_keys = [row["rjbh"] for row in stay_rows]
        reductions = await conn.execute(
            select(zf_jxjs).where(zf_jxjs.c.rjbh.in_(stay_keys)).order_by(zf_jxjs.c.cdrq)
        )
        releases = await conn.execute(select(zf_sfdj).where(zf_sfdj.c.rjbh.in_(stay_keys)))

        events: dict[str, list[CustodyEvent]] = {key: [] for key in stay_keys}
        released: dict[str, CustodyEvent] = {}
        for row in reductions.mappings():
            events[row["rjbh"]].append(self._reduction(row))
        for row in releases.mappings():
            released[row["rjbh"]] = self._release(row)
        return [
            (row["zfbh"], self._stay(row, events[row["rjbh"]], released.get(row["rjbh"])))
            for row in stay_rows
        ]

    def _person(self, row: RowMapping) -> PersonIdentity:
        stored = row["sfzh"]
        return PersonIdentity(
            source=SourceRef(self.agency, row["zfbh"]),
            name=row["xm"],
            id_number=normalised_id_number(stored),
            id_number_as_recorded=stored,
            sex_code=map_code(SEX_CODES, row["xb"], field="zf_jbxx.xb"),
            ethnicity_code=ethnicity_code(row["mz"]),
            birth_date=iso_date(row["csrq"], field="zf_jbxx.csrq"),
            county_code=(row["hjd"] or "").strip() or None,
            other_names=tuple(name for name in [(row["bm"] or "").strip()] if name),
        )

    def _stay(
        self, row: RowMapping, reductions: list[CustodyEvent], release: CustodyEvent | None
    ) -> CustodyRecord:
        admitted = iso_date(row["rjrq"], field="zf_rjdj.rjrq")
        term = (row["xq"] or "").strip()
        admission = CustodyEvent(CustodyEventType.ADMISSION, admitted, detail=term, months=None)
        closing = [release] if release is not None else []
        return CustodyRecord(
            source=SourceRef(self.agency, row["rjbh"]),
            prison_name=row["jyqc"] or "",
            case_number=try_parse_case_number(row["ah"]) if row["ah"] else None,
            admitted_on=admitted,
            sentence_end_date=iso_date(row["xqzr"], field="zf_rjdj.xqzr"),
            released_on=release.date if release is not None else None,
            events=_in_order([admission, *reductions, *closing]),
        )

    def _reduction(self, row: RowMapping) -> CustodyEvent:
        amount = (row["jxfd"] or "").strip()
        return CustodyEvent(
            CustodyEventType.SENTENCE_REDUCTION,
            iso_date(row["cdrq"], field="zf_jxjs.cdrq"),
            detail=amount,
            months=term_months(amount, field="zf_jxjs.jxfd"),
        )

    def _release(self, row: RowMapping) -> CustodyEvent:
        kind = (row["sflx"] or "").strip()
        return CustodyEvent(
            map_code(RELEASE_EVENTS, kind, field="zf_sfdj.sflx"),
            iso_date(row["sfrq"], field="zf_sfdj.sfrq"),
            detail=kind,
        )


def term_months(text: str, *, field: str) -> int:
    """Count the months in a term written as ``7年``, ``2年6个月``, ``8个月`` or ``8月``."""
    match = _TERM.match(text.replace(" ", ""))
    if not text or match is None or not any(match.groups()):
        raise MappingError(f"{field}: invalid term '{text}', expected a form such as 2年6个月")
    years, months = match.groups()
    return int(years or 0) * 12 + int(months or 0)


def ethnicity_code(name: str | None) -> str | None:
    key = (name or "").strip().removesuffix("族")
    if not key:
        return None
    return map_code(ETHNICITY_CODES, key, field="zf_jbxx.mz")


def _in_order(events: Iterable[CustodyEvent]) -> tuple[CustodyEvent, ...]:
    # Stable sort keeps admission first when a reduction is ruled on the admission day.
    return tuple(sorted(events, key=lambda event: event.date or dt.date.max))
