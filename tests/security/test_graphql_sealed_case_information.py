"""Sealed case information end to end through GraphQL with real tokens: administrative
detentions (revised PSAPL art. 136) and the police side of a sealed juvenile case."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from adapters.idnumber import IdNumber, parse_id_number
from adapters.records import Agency, AgencyRecords
from hub.app import create_app
from hub.auth import Principal, Role, Unit, UnitAgency
from hub.identity.relink import relink
from hub.notices.config import NoticeSettings
from hub.settings import Settings
from tests.identity.support import entry, put
from tests.security.test_public_order_sealing import (
    ADULT_ID,
    JUVENILE_AJBH,
    JUVENILE_ID,
    LATER_AJBH,
    adult_judgment,
    detention,
    juvenile_judgment,
    juvenile_police,
    police_person,
)
from tests.standins import StandInAdapter, standins
from tests.tokens import bearer

CASE = "（2026）川3401刑初5号"
QUERY = """query($id: String!, $purpose: Purpose!, $case: String) {
  priorRecords(idNumber: $id, purpose: $purpose, caseNumber: $case) {
    criminalRecords { caseNumber { canonical } policeCaseNumber }
    caseInformation {
      policeCases { policeCaseNumber }
      coerciveMeasures { measure policeCaseNumber }
      administrativeDetentions { decisionNumber days sealed sealBasis source { agency localReference } }
    }
    links { agency localKey }
  }
}"""
AUDIT = """query($id: String) { auditEntries(filter: {subjectIdNumber: $id}, first: 10) {
  items { role purpose sealedAccess returned { agency localReference sealed } } } }"""


class Police(StandInAdapter):
    async def fetch_records(self, id_number: IdNumber) -> AgencyRecords:
        if id_number.value == ADULT_ID:
            return AgencyRecords(
                Agency.POLICE, persons=[police_person(ADULT_ID)], administrative_detentions=[detention()]
            )
        if id_number.value == JUVENILE_ID:
            return juvenile_police()
        return await super().fetch_records(id_number)


class Court(StandInAdapter):
    async def fetch_records(self, id_number: IdNumber) -> AgencyRecords:
        if id_number.value == ADULT_ID:
            return AgencyRecords(Agency.COURT, judgments=[adult_judgment()])
        if id_number.value == JUVENILE_ID:
            return AgencyRecords(Agency.COURT, judgments=[juvenile_judgment()])
        return await super().fetch_records(id_number)


class Hub:
    def __init__(self, app: Starlette, client: httpx.AsyncClient) -> None:
        self.app = app
        self.client = client

    async def gql(self, query: str, headers: dict[str, str], **variables: Any) -> Any:
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        return response.json()

    async def prior(self, role: Role, purpose: str, id_number: str) -> dict[str, Any]:
        body = await self.gql(QUERY, bearer(role), id=id_number, purpose=purpose, case=CASE)
        assert "errors" not in body, body
        answer: dict[str, Any] = body["data"]["priorRecords"]
        return answer

    async def audit(self, id_number: str) -> list[dict[str, Any]]:
        body = await self.gql(AUDIT, bearer(Role.AUDITOR), id=id_number)
        items: list[dict[str, Any]] = body["data"]["auditEntries"]["items"]
        return items


@pytest.fixture
async def hub() -> AsyncIterator[Hub]:
    adapters = standins(police=Police(Agency.POLICE), court=Court(Agency.COURT))
    settings = Settings(rate_prior_records_per_minute=1000)
    app = create_app(settings, adapters=adapters, notice_settings=NoticeSettings(auto_migrate=True))
    async with app.router.lifespan_context(app):
        # The index links the adult's police record (kept for the detention) and court record.
        store = app.state.services.identity.store
        await put(
            store,
            entry("police", "R-1", "阿尔木呷", number=ADULT_ID, birth="1990-02-14", county="513401"),
            entry("court", "（2024）川3401刑初77号", "阿尔木呷", number=ADULT_ID, birth="1990-02-14"),
        )
        await relink(store)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub") as client:
            yield Hub(app, client)


WITHOUT_SEALED_ACCESS = [
    (Role.PRISON_OFFICER, "EXECUTION_OF_SENTENCE"),
    (Role.CORRECTION_OFFICER, "PRE_SENTENCE_INVESTIGATION"),
    (Role.CORRECTION_OFFICER, "CORRECTION_SUPERVISION"),
]
WITH_SEALED_ACCESS = [
    (Role.JUDGE, "TRIAL"),
    (Role.POLICE_OFFICER, "CASE_HANDLING"),
    (Role.PROSECUTOR, "PROSECUTION_REVIEW"),
]


@pytest.mark.parametrize(("role", "purpose"), WITHOUT_SEALED_ACCESS)
async def test_graphql_hides_detention_and_link(hub: Hub, role: Role, purpose: str) -> None:
    answer = await hub.prior(role, purpose, ADULT_ID)

    assert answer["caseInformation"]["administrativeDetentions"] == []
    assert answer["links"] == [{"agency": "COURT", "localKey": "（2024）川3401刑初77号"}]
    assert [r["caseNumber"]["canonical"] for r in answer["criminalRecords"]] == ["（2024）川3401刑初77号"]
    (entry,) = await hub.audit(ADULT_ID)
    assert entry["sealedAccess"] is False
    assert entry["returned"] == [
        {"agency": "court", "localReference": "（2024）川3401刑初77号", "sealed": False}
    ]


@pytest.mark.parametrize(("role", "purpose"), WITH_SEALED_ACCESS)
async def test_graphql_shows_detention_sealed_and_audited(hub: Hub, role: Role, purpose: str) -> None:
    answer = await hub.prior(role, purpose, ADULT_ID)

    assert answer["caseInformation"]["administrativeDetentions"] == [
        {
            "decisionNumber": "西公（治）行罚决字〔2025〕15号",
            "days": 10,
            "sealed": True,
            "sealBasis": "治安管理处罚法第136条",
            "source": {"agency": "POLICE", "localReference": "XJ-1"},
        }
    ]
    assert {link["agency"] for link in answer["links"]} == {"COURT", "POLICE"}
    (entry,) = await hub.audit(ADULT_ID)
    assert entry["sealedAccess"] is True
    assert {"agency": "police", "localReference": "XJ-1", "sealed": True} in entry["returned"]
    assert ADULT_ID not in json.dumps(entry)


async def test_shown_detention_logs_sealed_access(hub: Hub, caplog: pytest.LogCaptureFixture) -> None:
    lookups = hub.app.state.services.lookups
    judge = Principal("u-j", Unit(UnitAgency.COURT, "513401"), frozenset({Role.JUDGE}))
    prison = Principal("u-p", Unit(UnitAgency.PRISON, "513401"), frozenset({Role.PRISON_OFFICER}))

    with caplog.at_level(logging.WARNING, logger="hub.lookups"):
        shown = await lookups.lookup(judge, parse_id_number(ADULT_ID), "trial", case_number=CASE)
    hidden = await lookups.lookup(
        prison, parse_id_number(ADULT_ID), "execution_of_sentence", case_number=CASE
    )

    assert (shown.sealed_returned, shown.cacheable, shown.publishable) == (True, False, False)
    assert (hidden.sealed_returned, hidden.cacheable, hidden.publishable) == (False, True, True)
    warnings = [r.getMessage() for r in caplog.records if "sealed record access" in r.getMessage()]
    assert len(warnings) == 1
    assert "user=u-j" in warnings[0]
    assert ADULT_ID not in warnings[0]


@pytest.mark.parametrize(("role", "purpose"), WITHOUT_SEALED_ACCESS)
async def test_graphql_hides_sealed_police_case(hub: Hub, role: Role, purpose: str) -> None:
    answer = await hub.prior(role, purpose, JUVENILE_ID)
    info = answer["caseInformation"]

    assert answer["criminalRecords"] == []
    assert info["policeCases"] == [{"policeCaseNumber": LATER_AJBH}]
    assert {m["policeCaseNumber"] for m in info["coerciveMeasures"]} == {LATER_AJBH, None}
    assert JUVENILE_AJBH not in json.dumps(answer)
    (entry,) = await hub.audit(JUVENILE_ID)
    assert JUVENILE_AJBH not in json.dumps(entry)


@pytest.mark.parametrize(("role", "purpose"), WITH_SEALED_ACCESS)
async def test_graphql_shows_sealed_police_case(hub: Hub, role: Role, purpose: str) -> None:
    answer = await hub.prior(role, purpose, JUVENILE_ID)
    info = answer["caseInformation"]

    assert answer["criminalRecords"] == [
        {"caseNumber": {"canonical": "（2024）川3401刑初9号"}, "policeCaseNumber": JUVENILE_AJBH}
    ]
    assert {c["policeCaseNumber"] for c in info["policeCases"]} == {JUVENILE_AJBH, LATER_AJBH}
    assert [m["measure"] for m in info["coerciveMeasures"] if m["policeCaseNumber"] == JUVENILE_AJBH] == [
        "CRIMINAL_DETENTION",
        "BAIL",
    ]
    (entry,) = await hub.audit(JUVENILE_ID)
    assert entry["sealedAccess"] is True
    assert {"agency": "court", "localReference": "（2024）川3401刑初9号", "sealed": True} in entry["returned"]
