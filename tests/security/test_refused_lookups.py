"""A refused lookup is audited as ``lookup_refused``, and the caller is still refused.

Each rule that can refuse ``priorRecords`` is tried through GraphQL with a real token: the
operation (a role without the grant), the purpose (a role that may not use it), the trial
court (a judge naming another court's case), the county (a county's correction office
looking up a resident of another county), a missing or malformed case number and a spent
quota. An auditor then finds each attempt by the subject's ID number, with the rule that
refused it and nothing returned. Input that names no one is not audited.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from hub.audit import AuditEntry, lookup_entry
from hub.audit_verify import verify
from hub.auth import Principal, Role, Unit, UnitAgency
from hub.lookups import LookupService
from hub.purpose import Purpose, state_purpose
from hub.store.audit_tables import audit_entries
from tests.security.gql_support import CASE, Hub, started_hub
from tests.standins import ID_NUMBER
from tests.tokens import bearer

PRIOR = """query($id: String!, $purpose: Purpose!, $case: String) {
  priorRecords(idNumber: $id, purpose: $purpose, caseNumber: $case) { idNumber } }"""
BATCH = """query($ids: [String!]!, $case: String) {
  priorRecordsBatch(idNumbers: $ids, purpose: CORRECTION_SUPERVISION, caseNumber: $case) { idNumber } }"""
AUDIT = """query($filter: AuditFilter) { auditEntries(filter: $filter, first: 20) {
  items { kind operation actorId unitCounty role purpose caseNumber subjectHash agenciesAnswered
          returned { agency } refusal } } }"""
OTHER_COURT_CASE = "（2026）川3431刑初12号"  # a case of another county's court


@pytest.fixture
async def hub() -> AsyncIterator[Hub]:
    async with started_hub(settings={"rate_prior_records_per_minute": 1000}) as started:
        yield started


async def refused_entries(hub: Hub) -> list[dict[str, Any]]:
    criteria = {"kind": "lookup_refused", "subjectIdNumber": ID_NUMBER}
    body = await hub.gql(AUDIT, bearer(Role.AUDITOR), filter=criteria)
    items: list[dict[str, Any]] = body["data"]["auditEntries"]["items"]
    return items


def counted(hub: Hub, reason: str) -> float:
    lookups: LookupService = hub.app.state.services.lookups
    value = lookups.metrics.registry.get_sample_value("hub_lookups_refused_total", {"reason": reason})
    return value or 0.0


@pytest.mark.parametrize(
    ("role", "county", "purpose", "case", "reason"),
    [
        (Role.OPERATOR, "513400", "CASE_HANDLING", CASE, "OPERATION"),
        (Role.PRISON_OFFICER, "513400", "TRIAL", CASE, "PURPOSE_ROLE"),
        (Role.JUDGE, "513401", "TRIAL", OTHER_COURT_CASE, "CASE_COURT"),
        (Role.CORRECTION_OFFICER, "513402", "CORRECTION_SUPERVISION", CASE, "COUNTY"),
    ],
)
async def test_each_refusal_is_audited_with_its_rule(
    hub: Hub, role: Role, county: str, purpose: str, case: str, reason: str
) -> None:
    body = await hub.gql(PRIOR, bearer(role, county), id=ID_NUMBER, purpose=purpose, case=case)

    assert body["data"] == {"priorRecords": None}
    assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN", "reason": reason}
    [entry] = await refused_entries(hub)
    assert entry["refusal"] == reason
    assert counted(hub, reason) == 1
    assert entry["operation"] == "priorRecords"
    assert entry["unitCounty"] == county
    assert entry["purpose"] == purpose.lower()  # the value the lookup entries store
    assert entry["caseNumber"] == case
    assert entry["subjectHash"]
    assert entry["agenciesAnswered"] == []
    assert entry["returned"] == []


@pytest.mark.parametrize(
    ("purpose", "case", "code", "reason"),
    [
        ("CASE_HANDLING", None, "PURPOSE_REQUIRED", "CASE_NUMBER_MISSING"),
        ("TRIAL", "刑初12号", "INVALID_CASE_NUMBER", "CASE_NUMBER_INVALID"),
    ],
)
async def test_refusal_for_the_case_number_is_audited(
    hub: Hub, purpose: str, case: str | None, code: str, reason: str
) -> None:
    body = await hub.gql(PRIOR, bearer(Role.JUDGE, "513401"), id=ID_NUMBER, purpose=purpose, case=case)

    assert body["data"] == {"priorRecords": None}
    assert body["errors"][0]["extensions"]["code"] == code
    [entry] = await refused_entries(hub)
    assert (entry["refusal"], entry["purpose"], entry["caseNumber"]) == (reason, purpose.lower(), case)
    assert entry["returned"] == []
    assert counted(hub, reason) == 1


async def test_spent_quota_is_audited() -> None:
    async with started_hub(settings={"rate_prior_records_per_minute": 1}) as hub:
        headers = bearer(Role.JUDGE, "513401")
        first = await hub.gql(PRIOR, headers, id=ID_NUMBER, purpose="TRIAL", case=CASE)
        second = await hub.gql(PRIOR, headers, id=ID_NUMBER, purpose="TRIAL", case=CASE)

        assert first["data"] == {"priorRecords": {"idNumber": ID_NUMBER}}
        assert second["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        [entry] = await refused_entries(hub)
        assert (entry["refusal"], entry["caseNumber"], entry["agenciesAnswered"]) == ("QUOTA", CASE, [])
        assert counted(hub, "QUOTA") == 1


async def test_input_naming_no_one_is_not_audited(hub: Hub) -> None:
    invalid = ID_NUMBER[:-1] + ("0" if ID_NUMBER[-1] != "0" else "1")  # wrong check character

    body = await hub.gql(PRIOR, bearer(Role.JUDGE, "513401"), id=invalid, purpose="TRIAL", case=CASE)

    assert body["errors"][0]["extensions"]["code"] == "INVALID_ID_NUMBER"
    listed = await hub.gql(AUDIT, bearer(Role.AUDITOR), filter={"kind": "lookup_refused"})
    assert listed["data"]["auditEntries"]["items"] == []


async def test_refused_batch_audits_every_person(hub: Hub) -> None:
    other = "513401199001010019"  # a second, synthetic subject
    headers = bearer(Role.CORRECTION_OFFICER, "513402")

    body = await hub.gql(BATCH, headers, ids=[ID_NUMBER, other], case=CASE)

    assert body["data"] is None
    assert body["errors"][0]["extensions"]["reason"] == "COUNTY"
    [entry] = await refused_entries(hub)
    assert entry["refusal"] == "COUNTY"
    listed = await hub.gql(AUDIT, bearer(Role.AUDITOR), filter={"kind": "lookup_refused"})
    assert len(listed["data"]["auditEntries"]["items"]) == 2
    assert counted(hub, "COUNTY") == 2


async def test_audit_chain_verifies_after_refusal(hub: Hub) -> None:
    refused = await hub.gql(PRIOR, bearer(Role.OPERATOR), id=ID_NUMBER, purpose="CASE_HANDLING", case=CASE)
    allowed = await hub.gql(PRIOR, bearer(Role.JUDGE, "513401"), id=ID_NUMBER, purpose="TRIAL", case=CASE)

    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert allowed["data"] == {"priorRecords": {"idNumber": ID_NUMBER}}
    body = await hub.gql(AUDIT, bearer(Role.AUDITOR), filter={"subjectIdNumber": ID_NUMBER})
    kinds = [(item["kind"], item["refusal"]) for item in body["data"]["auditEntries"]["items"]]
    assert kinds == [("lookup", None), ("lookup_refused", "OPERATION")]  # newest first

    services = hub.app.state.services
    lookups: LookupService = services.lookups
    report = await verify(lookups.store.engine, lookups.audit.signer.public_key)
    assert report.ok, report.findings
    assert report.last_sequence == 2


async def test_lookup_payload_omits_empty_refusal(hub: Hub) -> None:
    """Entries written before ``refusal`` existed must still verify: the field is left out when empty."""
    await hub.gql(PRIOR, bearer(Role.JUDGE, "513401"), id=ID_NUMBER, purpose="TRIAL", case=CASE)
    lookups: LookupService = hub.app.state.services.lookups

    async with lookups.store.engine.connect() as conn:
        payload = (await conn.execute(select(audit_entries.c.payload))).scalar_one()

    entry = json.loads(payload)["entry"]
    assert "refusal" not in entry
    assert AuditEntry.from_fields(entry).refusal is None


async def test_refusal_survives_failed_audit_write(hub: Hub, caplog: pytest.LogCaptureFixture) -> None:
    lookups: LookupService = hub.app.state.services.lookups

    async def failing(entries: object) -> list[int]:
        raise OSError("disk full")

    lookups.record = failing  # type: ignore[method-assign]
    body = await hub.gql(PRIOR, bearer(Role.OPERATOR), id=ID_NUMBER, purpose="CASE_HANDLING", case=CASE)

    assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN", "reason": "OPERATION"}
    logged = [r for r in caplog.records if "audit entry for a refused lookup failed" in r.getMessage()]
    assert logged and logged[0].levelname == "ERROR"
    assert ID_NUMBER not in caplog.text


def test_lookup_entry_has_no_refusal() -> None:
    judge = Principal("u-judge", Unit(UnitAgency.COURT, "513401"), frozenset({Role.JUDGE}))
    stated = state_purpose(judge, Purpose.TRIAL, case_number=CASE)

    entry = lookup_entry(judge, stated, ID_NUMBER, subject_key=b"k" * 16, agencies_answered=(), returned=())

    assert entry.refusal is None
    assert "refusal" not in entry.fields()


async def test_audit_entries_rejects_unknown_kind(hub: Hub) -> None:
    body = await hub.gql(AUDIT, bearer(Role.AUDITOR), filter={"kind": "lookup_refusd"})
    english = await hub.gql(
        AUDIT, {**bearer(Role.AUDITOR), "Accept-Language": "en"}, filter={"kind": "lookup_refusd"}
    )

    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "审计记录类型“lookup_refusd”无效" in body["errors"][0]["message"]
    assert "lookup_refused" in english["errors"][0]["message"]


async def test_audit_entries_filter_by_refusal(hub: Hub) -> None:
    await hub.gql(PRIOR, bearer(Role.OPERATOR), id=ID_NUMBER, purpose="CASE_HANDLING", case=CASE)
    await hub.gql(PRIOR, bearer(Role.JUDGE, "513401"), id=ID_NUMBER, purpose="CASE_HANDLING", case=None)
    await hub.gql(PRIOR, bearer(Role.JUDGE, "513401"), id=ID_NUMBER, purpose="TRIAL", case=CASE)
    auditor = bearer(Role.AUDITOR)

    missing = await hub.gql(AUDIT, auditor, filter={"refusal": "CASE_NUMBER_MISSING"})
    operation = await hub.gql(AUDIT, auditor, filter={"kind": "lookup_refused", "refusal": "OPERATION"})
    allowed = await hub.gql(AUDIT, auditor, filter={"kind": "lookup", "refusal": "OPERATION"})
    quota = await hub.gql(AUDIT, auditor, filter={"refusal": "QUOTA"})

    [entry] = missing["data"]["auditEntries"]["items"]
    assert (entry["kind"], entry["refusal"], entry["role"]) == (
        "lookup_refused",
        "CASE_NUMBER_MISSING",
        "judge",
    )
    [entry] = operation["data"]["auditEntries"]["items"]
    assert (entry["kind"], entry["refusal"], entry["role"]) == ("lookup_refused", "OPERATION", "operator")
    assert allowed["data"]["auditEntries"]["items"] == []
    assert quota["data"]["auditEntries"]["items"] == []


async def test_audit_entries_filter_finds_spent_quota() -> None:
    async with started_hub(settings={"rate_prior_records_per_minute": 1}) as hub:
        headers = bearer(Role.JUDGE, "513401")
        for _ in range(3):
            await hub.gql(PRIOR, headers, id=ID_NUMBER, purpose="TRIAL", case=CASE)

        body = await hub.gql(AUDIT, bearer(Role.AUDITOR), filter={"refusal": "QUOTA"})
        everything = await hub.gql(AUDIT, bearer(Role.AUDITOR), filter={"subjectIdNumber": ID_NUMBER})

    items = body["data"]["auditEntries"]["items"]
    assert [(item["kind"], item["refusal"]) for item in items] == [("lookup_refused", "QUOTA")] * 2
    assert len(everything["data"]["auditEntries"]["items"]) == 3


@pytest.mark.parametrize("value", ["QUOTAS", "quota", ""])
async def test_audit_entries_rejects_unknown_refusal(hub: Hub, value: str) -> None:
    body = await hub.gql(AUDIT, bearer(Role.AUDITOR), filter={"refusal": value})
    english = await hub.gql(
        AUDIT, {**bearer(Role.AUDITOR), "Accept-Language": "en"}, filter={"refusal": value}
    )

    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert f"拒绝原因“{value}”无效" in body["errors"][0]["message"]
    assert english["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert f"Refusal reason '{value}' is invalid" in english["errors"][0]["message"]
    assert "CASE_NUMBER_MISSING" in english["errors"][0]["message"]
    assert english["errors"][0]["message"].endswith("QUOTA or OTHER (case-sensitive).")
