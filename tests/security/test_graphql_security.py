"""End to end through the app: authentication, sealing, purpose, quotas and the audit log."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import jwt
import pytest
from sqlalchemy import func, select
from websockets.asyncio.client import connect

import hub.security_setup as security_setup
from adapters.idnumber import parse_id_number
from hub.app import create_app
from hub.auth import Principal, Role, Unit, UnitAgency
from hub.notices.config import NoticeSettings
from hub.settings import Settings
from hub.store import notices
from hub.store.audit_tables import audit_entries
from tests.security.gql_support import CASE, JUVENILE_ID, Hub, started_hub
from tests.servers import serve_in_thread
from tests.standins import ID_NUMBER
from tests.tokens import bearer, expired_bearer, token

LOOKUP = """query($id: String!, $purpose: Purpose!, $case: String, $basis: String) {
  priorRecords(idNumber: $id, purpose: $purpose, caseNumber: $case, legalBasis: $basis) {
    criminalRecords { caseNumber { canonical } sealed sealBasis }
    caseInformation { custody { prisonName } }
  }
}"""
AUDIT = """query($filter: AuditFilter) { auditEntries(filter: $filter, first: 10) {
  items { kind operation actorId role purpose caseNumber legalBasis subjectHash agenciesAnswered
          returned { agency localReference sealed } sealedAccess noticeId noticeFrom noticeTo }
} }"""
ACKNOWLEDGE = "mutation($id: ID!) { acknowledgeReceipt(noticeId: $id) { status } }"


@pytest.fixture
async def hub() -> AsyncIterator[Hub]:
    async with started_hub() as started:
        yield started


async def audit_items(hub: Hub, **filter: Any) -> list[dict[str, Any]]:
    body = await hub.gql(AUDIT, bearer(Role.AUDITOR), filter=filter)
    items: list[dict[str, Any]] = body["data"]["auditEntries"]["items"]
    return items


# Authentication


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer not-a-token"},
    ],
    ids=["no token", "other scheme", "garbage"],
)
async def test_invalid_token_is_unauthenticated(hub: Hub, headers: dict[str, str]) -> None:
    response = await hub.client.post("/graphql", json={"query": "{ __typename }"}, headers=headers)

    assert response.status_code == 401
    assert response.json() == {
        "errors": [{"message": "身份凭证缺失或无效，请重新登录。", "extensions": {"code": "UNAUTHENTICATED"}}]
    }


async def test_token_with_a_bad_signature_is_unauthenticated(hub: Hub) -> None:
    header, claims, _ = token(Role.JUDGE).split(".")
    forged = f"{header}.{claims}.{'A' * 86}"

    response = await hub.client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Authorization": f"Bearer {forged}"}
    )

    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "data" not in response.json()


async def test_expired_token_respects_leeway(hub: Hub) -> None:
    late = await hub.client.post(
        "/graphql",
        json={"query": "{ __typename }"},
        headers={**expired_bearer(Role.JUDGE, 60), "Accept-Language": "en"},
    )
    skewed = await hub.client.post(
        "/graphql", json={"query": "{ __typename }"}, headers=expired_bearer(Role.JUDGE, 10)
    )

    assert late.json()["errors"][0] == {
        "message": "The credentials have expired; sign in again.",
        "extensions": {"code": "UNAUTHENTICATED"},
    }
    assert skewed.json() == {"data": {"__typename": "Query"}}


async def test_token_for_another_audience_is_unauthenticated() -> None:
    async with started_hub(settings={"auth_audience": "jeh-hub"}) as hub:
        wrong = await hub.client.post(
            "/graphql", json={"query": "{ __typename }"}, headers=bearer(Role.JUDGE, audience="other-app")
        )
        right = await hub.client.post(
            "/graphql", json={"query": "{ __typename }"}, headers=bearer(Role.JUDGE, audience="jeh-hub")
        )

    assert wrong.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert right.json() == {"data": {"__typename": "Query"}}


async def test_health_endpoints_and_graphiql_page_need_no_token(hub: Hub) -> None:
    health = await hub.client.get("/healthz")
    page = await hub.client.get("/graphql", headers={"Accept": "text/html"})

    assert health.status_code == 200
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()


async def test_websocket_without_token_is_closed() -> None:
    app = create_app(Settings(), adapters=[], notice_settings=NoticeSettings(auto_migrate=True))
    with serve_in_thread(app) as base:
        url = base.replace("http://", "ws://") + "/graphql"
        async with connect(url, subprotocols=["graphql-transport-ws"]) as socket:  # type: ignore[list-item]
            await socket.send(json.dumps({"type": "connection_init", "payload": {}}))
            await socket.wait_closed()
        refused = socket.close_code
        async with connect(url, subprotocols=["graphql-transport-ws"]) as socket:  # type: ignore[list-item]
            payload = {"authorization": bearer(Role.JUDGE, "513401")["Authorization"]}
            await socket.send(json.dumps({"type": "connection_init", "payload": payload}))
            accepted = json.loads(await socket.recv())["type"]

    assert refused == 4403
    assert accepted == "connection_ack"


# Purpose of use and sealed records


async def test_lookup_without_purpose_or_case_number_is_refused(hub: Hub) -> None:
    missing = await hub.gql('query { priorRecords(idNumber: "x") { __typename } }', bearer(Role.JUDGE))
    no_case = await hub.gql(LOOKUP, bearer(Role.JUDGE), id=ID_NUMBER, purpose="TRIAL")
    wrong_role = await hub.gql(LOOKUP, bearer(Role.PRISON_OFFICER), id=ID_NUMBER, purpose="TRIAL", case=CASE)

    assert missing["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert no_case["errors"][0]["extensions"] == {"code": "PURPOSE_REQUIRED", "part": "case_number"}
    assert wrong_role["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_sealed_record_hidden_from_execution(hub: Hub) -> None:
    body = await hub.gql(
        LOOKUP, bearer(Role.PRISON_OFFICER), id=JUVENILE_ID, purpose="EXECUTION_OF_SENTENCE", case=CASE
    )
    unknown = await hub.gql(
        LOOKUP,
        bearer(Role.PRISON_OFFICER),
        id="513401199001010019",
        purpose="EXECUTION_OF_SENTENCE",
        case=CASE,
    )

    # Exactly the response for a person with no record at all: no count, no custody either.
    assert body == unknown
    assert body["data"]["priorRecords"]["criminalRecords"] == []
    assert body["data"]["priorRecords"]["caseInformation"]["custody"] == []


async def test_sealed_record_needs_case_number(hub: Hub) -> None:
    body = await hub.gql(LOOKUP, bearer(Role.JUDGE), id=JUVENILE_ID, purpose="TRIAL", case="  ")

    assert body["data"] == {"priorRecords": None}
    assert body["errors"][0]["extensions"]["code"] == "PURPOSE_REQUIRED"


async def test_sealed_record_visible_to_trial_and_audited(hub: Hub) -> None:
    body = await hub.gql(
        LOOKUP,
        bearer(Role.JUDGE, "513401"),
        id=JUVENILE_ID,
        purpose="TRIAL",
        case=CASE,
        basis="刑事诉讼法第286条",
    )
    entries = await audit_items(hub, subjectIdNumber=JUVENILE_ID)

    records = body["data"]["priorRecords"]["criminalRecords"]
    assert [r["caseNumber"]["canonical"] for r in records] == ["（2021）川3401刑初9号"]
    assert (records[0]["sealed"], records[0]["sealBasis"]) == (True, "刑事诉讼法第286条")
    assert body["data"]["priorRecords"]["caseInformation"]["custody"] == [{"prisonName": "四川省凉山监狱"}]
    assert len(entries) == 1
    entry = entries[0]
    assert (entry["kind"], entry["purpose"], entry["caseNumber"]) == ("lookup", "trial", CASE)
    assert entry["legalBasis"] == "刑事诉讼法第286条"
    assert entry["sealedAccess"] is True
    assert {"agency": "court", "localReference": "PJ-JUV", "sealed": True} in entry["returned"]
    assert JUVENILE_ID not in json.dumps(entries)


async def test_lookup_result_is_not_cacheable_when_a_sealed_record_is_in_it(hub: Hub) -> None:
    lookups = hub.app.state.services.lookups
    caller = Principal("u-j", Unit(UnitAgency.COURT, "513401"), frozenset({Role.JUDGE}))
    sealed = await lookups.lookup(caller, parse_id_number(JUVENILE_ID), "trial", case_number=CASE)
    plain = await lookups.lookup(caller, parse_id_number("513401199001010019"), "trial", case_number=CASE)

    assert (sealed.sealed_returned, sealed.cacheable, sealed.publishable) == (True, False, False)
    assert (plain.cacheable, plain.publishable) == (True, True)


async def test_uncertain_age_record_shows_seal_basis(hub: Hub) -> None:
    body = await hub.gql(LOOKUP, bearer(Role.JUDGE, "513401"), id=ID_NUMBER, purpose="TRIAL", case=CASE)

    [record] = body["data"]["priorRecords"]["criminalRecords"]  # judgment without an offence date
    assert record["sealed"] is True
    assert record["sealBasis"].startswith("刑事诉讼法第286条（犯罪时是否未满18周岁无法确定")


# Audit: one entry per lookup and per notice change, in the change's transaction


async def test_every_lookup_writes_one_entry_with_who_why_and_whom(hub: Hub) -> None:
    await hub.gql(
        LOOKUP, bearer(Role.POLICE_OFFICER, "513401"), id=ID_NUMBER, purpose="CASE_HANDLING", case="A1"
    )
    await hub.gql(
        LOOKUP, bearer(Role.POLICE_OFFICER, "513401"), id=ID_NUMBER, purpose="CASE_HANDLING", case="A2"
    )

    entries = await audit_items(hub, kind="lookup")

    assert [e["caseNumber"] for e in entries] == ["A2", "A1"]
    assert {e["actorId"] for e in entries} == {"u-police_officer-513401"}
    assert entries[0]["role"] == "police_officer"
    assert entries[0]["agenciesAnswered"] == ["court", "justice_bureau", "police", "prison"]
    assert len(entries[0]["subjectHash"]) == 64


async def test_acknowledgement_writes_one_notice_entry(hub: Hub) -> None:
    notice_id = hub.notice_ids["513401"]
    await hub.gql(ACKNOWLEDGE, bearer(Role.CORRECTION_OFFICER, "513401"), id=notice_id)
    await hub.gql(ACKNOWLEDGE, bearer(Role.CORRECTION_OFFICER, "513401"), id=notice_id)

    entries = await audit_items(hub, kind="notice_state")

    assert len(entries) == 1
    assert entries[0]["noticeId"] == int(notice_id)
    assert (entries[0]["noticeFrom"], entries[0]["noticeTo"]) == ("delivered", "received")
    assert entries[0]["actorId"] == "u-correction_officer-513401"


async def test_failing_audit_append_rolls_the_acknowledgement_back(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(self: Any, conn: Any, entries: Any) -> Any:
        raise RuntimeError("audit store full")

    def broken_blocking(self: Any, conn: Any, entries: Any) -> Any:  # the lookup writer's thread (SQLite)
        raise RuntimeError("audit store full")

    monkeypatch.setattr(hub_security_audit_log(), "record", broken)
    monkeypatch.setattr(hub_security_audit_log(), "record_many", broken)
    monkeypatch.setattr(hub_security_audit_log(), "record_many_blocking", broken_blocking)
    body = await hub.gql(ACKNOWLEDGE, bearer(Role.CORRECTION_OFFICER, "513401"), id=hub.notice_ids["513401"])
    lookup = await hub.gql(LOOKUP, bearer(Role.JUDGE), id=ID_NUMBER, purpose="TRIAL", case=CASE)

    async with hub.app.state.notices.store.engine.connect() as conn:
        status = await conn.scalar(
            select(notices.c.status).where(notices.c.id == int(hub.notice_ids["513401"]))
        )
        count = await conn.scalar(select(func.count()).select_from(audit_entries))
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert status == "delivered"
    assert lookup["data"] == {"priorRecords": None}
    assert count == 0


def hub_security_audit_log() -> type:
    return security_setup.AuditLog


# Quotas


async def check_quota(hub: Hub) -> None:
    headers = bearer(Role.JUDGE, user_id=f"u-{uuid.uuid4().hex[:8]}")
    answers = [await hub.gql(LOOKUP, headers, id=ID_NUMBER, purpose="TRIAL", case=CASE) for _ in range(3)]
    english = await hub.gql(
        LOOKUP, {**headers, "Accept-Language": "en"}, id=ID_NUMBER, purpose="TRIAL", case=CASE
    )

    assert ["errors" in answer for answer in answers] == [False, False, True]
    error = answers[2]["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["extensions"]["window"] == "minute"
    assert "查询过于频繁" in error["message"]
    assert english["errors"][0]["message"].startswith(
        "Too many 'priorRecords' requests: at most 2 per minute"
    )


async def test_lookup_quota_in_process_gives_rate_limited() -> None:
    async with started_hub(settings={"rate_prior_records_per_minute": 2}) as hub:
        await check_quota(hub)


@pytest.mark.services
async def test_lookup_quota_in_redis_gives_rate_limited(redis_url: str) -> None:
    async with started_hub(redis_url=redis_url, settings={"rate_prior_records_per_minute": 2}) as hub:
        await check_quota(hub)


async def test_request_quota_refuses_with_429() -> None:
    async with started_hub(settings={"rate_requests_per_minute": 2}) as hub:
        headers = bearer(Role.JUDGE, user_id="u-busy")
        codes = [
            (await hub.client.post("/graphql", json={"query": "{ __typename }"}, headers=headers)).status_code
            for _ in range(3)
        ]
        other = await hub.client.post(
            "/graphql", json={"query": "{ __typename }"}, headers=bearer(Role.JUDGE)
        )

    assert codes == [200, 200, 429]
    assert other.status_code == 200


def test_demo_token_header_and_claims_shape(tmp_path: Any) -> None:
    claims = jwt.decode(token(Role.CORRECTION_OFFICER, "513401"), options={"verify_signature": False})

    assert claims["unit"] == {"agency": "justice_bureau", "county": "513401"}
    assert claims["roles"] == ["correction_officer"]
    assert claims["exp"] > dt.datetime.now(dt.UTC).timestamp()


async def test_people_search_is_audited(hub: Hub) -> None:
    body = await hub.gql('{ people(name: "吉克石布") { personId } }', bearer(Role.JUDGE))

    items = await audit_items(hub, operation="people")

    assert "errors" not in body, body
    assert [item["operation"] for item in items] == ["people"]
    assert items[0]["role"] == "judge"
    assert items[0]["kind"] == "lookup"


@pytest.mark.parametrize(
    ("role", "case", "reason"),
    [
        (Role.JUDGE, "（2026）川3431刑初5号", "CASE_COURT"),
        (Role.PRISON_OFFICER, CASE, "PURPOSE_ROLE"),
    ],
)
async def test_forbidden_reason_names_rule(hub: Hub, role: Role, case: str, reason: str) -> None:
    body = await hub.gql(LOOKUP, bearer(role, "513401"), id=ID_NUMBER, purpose="TRIAL", case=case)

    error = body["errors"][0]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["extensions"]["reason"] == reason
