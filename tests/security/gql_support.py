"""A started hub app with stand-in agencies and seeded notices in two counties, for the
end-to-end security tests; and a juvenile whose court record is sealed."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import insert
from starlette.applications import Starlette

from adapters.idnumber import IdNumber
from adapters.records import (
    Agency,
    AgencyRecords,
    CaseNumber,
    CustodyRecord,
    Judgment,
    PenaltyType,
    PersonIdentity,
    Sentence,
    SourceRef,
    Verdict,
)
from hub.app import create_app
from hub.notices.config import NoticeSettings
from hub.settings import Settings
from hub.store import notices
from tests.perf.fakes import fresh_metrics
from tests.standins import StandInAdapter, standins

JUVENILE_ID = "513401200503150017"
JUVENILE_CASE = CaseNumber("（2021）川3401刑初9号", 2021, "川3401", "刑初", 9)
CASE = "（2026）川3401刑初5号"


class JuvenileCourt(StandInAdapter):
    """The court stand-in, plus a sealed juvenile conviction (offence at 16, one year)."""

    async def fetch_records(self, id_number: IdNumber) -> AgencyRecords:
        if id_number.value != JUVENILE_ID:
            return await super().fetch_records(id_number)
        judgment = Judgment(
            source=SourceRef(Agency.COURT, "PJ-JUV"),
            case_number=JUVENILE_CASE,
            court_name="西昌市人民法院",
            verdict=Verdict.GUILTY,
            sentence=Sentence(PenaltyType.FIXED_TERM_IMPRISONMENT, term_months=12),
            offence_date=dt.date(2021, 5, 1),
            judgment_date=dt.date(2021, 9, 1),
            effective_date=dt.date(2021, 9, 12),
        )
        person = PersonIdentity(
            source=SourceRef(Agency.COURT, "P-JUV"),
            name="吉克石布",
            id_number=JUVENILE_ID,
            id_number_as_recorded=JUVENILE_ID,
            sex_code="1",
        )
        return AgencyRecords(agency=Agency.COURT, persons=[person], judgments=[judgment])


class JuvenilePrison(StandInAdapter):
    async def fetch_records(self, id_number: IdNumber) -> AgencyRecords:
        if id_number.value != JUVENILE_ID:
            return await super().fetch_records(id_number)
        custody = CustodyRecord(
            source=SourceRef(Agency.PRISON, "ZF-JUV"),
            prison_name="四川省凉山监狱",
            case_number=JUVENILE_CASE,
            admitted_on=dt.date(2021, 9, 20),
            sentence_end_date=dt.date(2022, 9, 19),
            released_on=dt.date(2022, 9, 19),
        )
        return AgencyRecords(agency=Agency.PRISON, custody=[custody])


def adapters() -> list[StandInAdapter]:
    return standins(court=JuvenileCourt(Agency.COURT), prison=JuvenilePrison(Agency.PRISON))


def notice_row(serial: int, county: str, court: str) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC)
    return {
        "court_name": "人民法院",
        "case_number": f"（2026）川{court}刑初{serial}号",
        "case_number_raw": f"(2026)川{court}刑初{serial}号",
        "status": "delivered",
        "correction_type": "suspended_sentence",
        "county_code": county,
        "bureau_county_code": county,
        "person_name_masked": "阿***",
        "id_number_masked": "513401********1234",
        "effective_date": dt.date(2026, 11, 2),
        "notice_due": dt.date(2026, 11, 7),
        "court_sequence": serial,
        "attempts": 1,
        "created_at": now,
        "updated_at": now,
    }


@dataclass
class Hub:
    app: Starlette
    client: httpx.AsyncClient
    notice_ids: dict[str, str]  # county -> id of a notice of that county (bureau and court)

    async def gql(self, query: str, headers: dict[str, str] | None = None, **variables: Any) -> Any:
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers or {}
        )
        return response.json()


@asynccontextmanager
async def started_hub(
    *, redis_url: str | None = None, settings: dict[str, Any] | None = None
) -> AsyncIterator[Hub]:
    notice_settings = NoticeSettings(redis_url=redis_url, auto_migrate=True)
    app = create_app(
        Settings(**(settings or {})),
        adapters=adapters(),
        notice_settings=notice_settings,
        metrics=fresh_metrics(),  # each hub counts its own requests, whatever ran before
    )
    async with app.router.lifespan_context(app):
        ids = {}
        async with app.state.notices.store.engine.begin() as conn:
            for serial, (county, court) in enumerate([("513401", "3401"), ("513402", "3402")], start=1):
                row = notice_row(serial, county, court)
                ids[county] = str(await conn.scalar(insert(notices).values(**row).returning(notices.c.id)))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub") as client:
            yield Hub(app, client, ids)
