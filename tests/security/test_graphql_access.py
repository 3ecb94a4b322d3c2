"""The role × operation × county table, walked end to end through GraphQL with real tokens.

``hub.policy`` is the oracle: every cell the policy grants must answer with data, every
other cell with FORBIDDEN and no data. ``tests/security/test_policy.py`` walks the same
table at the policy level; this walk proves the resolvers enforce it on every field.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from hub.auth import Principal, Role, Unit, UnitAgency
from hub.context import RequestContext
from hub.notices.scope import notice_counties
from hub.policy import Operation, granting_role
from hub.purpose import PURPOSE_ROLES
from tests.security.gql_support import CASE, Hub, started_hub
from tests.standins import ID_NUMBER
from tests.tokens import AGENCY_OF, bearer

UNIT_COUNTIES = ("513401", "513400")  # a county unit, and a prefecture-level unit
TARGETS = ("513401", "513402")  # the unit's own county, and another
SUBJECT_COUNTY = "513401"  # where the stand-in person looked up lives

PRIOR = """query($id: String!, $purpose: Purpose!, $case: String) {
  priorRecords(idNumber: $id, purpose: $purpose, caseNumber: $case) { idNumber } }"""
NOTICES = "query($c: String) { notices(filter: {countyCode: $c}, first: 10) { items { id } } }"
NOTICE = "query($id: ID!) { notice(id: $id) { id } }"
ACKNOWLEDGE = "mutation($id: ID!) { acknowledgeReceipt(noticeId: $id) { id status } }"
INDICATORS = """query($c: String) {
  indicators(periodStart: "2026-01-01", periodEnd: "2026-12-31", countyCode: $c) { total } }"""
AUDIT = "query($c: String) { auditEntries(filter: {unitCounty: $c}, first: 5) { items { sequence } } }"
SOURCE_HEALTH = "{ sourceHealth { agency ready } }"
REDELIVER = "mutation($id: ID!) { redeliverNotice(noticeId: $id) { id status } }"
SUBSCRIBE = "subscription($c: String) { noticeChanged(countyCode: $c) { id } }"


@pytest.fixture
async def hub() -> AsyncIterator[Hub]:
    async with started_hub(settings={"rate_prior_records_per_minute": 1000}) as started:
        yield started


def principal(role: Role, county: str) -> Principal:
    return Principal(f"u-{role.value}-{county}", Unit(UnitAgency(AGENCY_OF[role]), county), frozenset({role}))


def outcome(body: dict[str, Any], field: str) -> str:
    errors = body.get("errors") or []
    if errors:
        return str(errors[0]["extensions"]["code"])
    return "OK" if (body.get("data") or {}).get(field) is not None else "EMPTY"


def purpose_for(role: Role) -> str:
    usable = [purpose for purpose, roles in PURPOSE_ROLES.items() if role in roles]
    return usable[0].name if usable else "TRIAL"


async def walk_cell(hub: Hub, role: Role, county: str, operation: Operation, target: str | None) -> str:
    headers = bearer(role, county)
    notice_id = hub.notice_ids.get(target or "", "")
    if operation is Operation.PRIOR_RECORDS:
        body = await hub.gql(PRIOR, headers, id=ID_NUMBER, purpose=purpose_for(role), case=CASE)
    elif operation is Operation.NOTICES:
        body = await hub.gql(NOTICES, headers, c=target)
    elif operation is Operation.NOTICE:
        body = await hub.gql(NOTICE, headers, id=notice_id)
    elif operation is Operation.ACKNOWLEDGE_RECEIPT:
        body = await hub.gql(ACKNOWLEDGE, headers, id=notice_id)
    elif operation is Operation.INDICATORS:
        body = await hub.gql(INDICATORS, headers, c=target)
    elif operation is Operation.AUDIT_ENTRIES:
        body = await hub.gql(AUDIT, headers, c=target)
    elif operation is Operation.SOURCE_HEALTH:
        body = await hub.gql(SOURCE_HEALTH, headers)
    elif operation is Operation.REDELIVER_NOTICE:
        body = await hub.gql(REDELIVER, headers, id=notice_id)
    else:
        return await subscribe_cell(hub, principal(role, county), target)
    return outcome(body, operation.value)


async def subscribe_cell(hub: Hub, caller: Principal, target: str | None) -> str:
    """Subscribe through the schema with the app's services; a live stream means allowed."""
    graphql = next(route.endpoint for route in hub.app.routes if getattr(route, "path", "") == "/graphql")
    context = RequestContext(services=hub.app.state.services, language="en", principal=caller)
    stream = await graphql.schema.subscribe(SUBSCRIBE, context_value=context, variable_values={"c": target})
    try:
        first = await asyncio.wait_for(anext(stream), 0.1)  # type: ignore[arg-type]
    except TimeoutError:
        return "OK"
    finally:
        await stream.aclose()  # type: ignore[union-attr]
    return str(first.errors[0].extensions["code"]) if first.errors else "OK"


def expected(role: Role, county: str, operation: Operation, target: str | None) -> str:
    caller = principal(role, county)
    if operation in (Operation.NOTICE, Operation.ACKNOWLEDGE_RECEIPT, Operation.REDELIVER_NOTICE):
        scope: Any = notice_counties(target, target, f"（2026）川{target[2:] if target else ''}刑初1号")
    elif operation is Operation.SOURCE_HEALTH:
        scope = None  # adapter status belongs to no county
    else:
        scope = target
    if granting_role(caller, operation, scope) is None:
        return "FORBIDDEN"
    if operation is Operation.PRIOR_RECORDS and role in (Role.AUDITOR, Role.OPERATOR):
        return "FORBIDDEN"  # their purposes (audit, operations) open no lookups
    if operation is Operation.REDELIVER_NOTICE:
        return "BAD_USER_INPUT"  # past the grant, the seeded notices are delivered or received
    return "OK"


WALKED = (
    Operation.PRIOR_RECORDS,
    Operation.NOTICES,
    Operation.NOTICE,
    Operation.ACKNOWLEDGE_RECEIPT,
    Operation.INDICATORS,
    Operation.AUDIT_ENTRIES,
    Operation.SOURCE_HEALTH,
    Operation.REDELIVER_NOTICE,
    Operation.NOTICE_CHANGED,
)


async def test_every_role_operation_county_cell_answers_as_the_policy_says(hub: Hub) -> None:
    mismatches = []
    cells = 0
    for role in Role:
        for county in UNIT_COUNTIES:
            for operation in WALKED:
                # A lookup's county is the person's, so priorRecords has one target: theirs.
                targets: tuple[str | None, ...] = (
                    (SUBJECT_COUNTY,) if operation is Operation.PRIOR_RECORDS else TARGETS
                )
                for target in targets:
                    got = await walk_cell(hub, role, county, operation, target)
                    want = expected(role, county, operation, target)
                    cells += 1
                    if got != want:
                        mismatches.append((role.value, county, operation.value, target, got, want))

    assert cells == len(Role) * len(UNIT_COUNTIES) * (1 + 2 * (len(WALKED) - 1))
    assert mismatches == []


async def test_correction_officer_looks_up_only_own_county_residents(hub: Hub) -> None:
    """A county's correction office reads the records of its own residents only."""
    purpose = {"purpose": "CORRECTION_SUPERVISION", "case": CASE}

    own = await hub.gql(PRIOR, bearer(Role.CORRECTION_OFFICER, SUBJECT_COUNTY), id=ID_NUMBER, **purpose)
    other = await hub.gql(PRIOR, bearer(Role.CORRECTION_OFFICER, "513402"), id=ID_NUMBER, **purpose)

    assert own["data"] == {"priorRecords": {"idNumber": ID_NUMBER}}
    assert other["data"] == {"priorRecords": None}
    assert other["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert f"无权查看 {SUBJECT_COUNTY}" in other["errors"][0]["message"]


async def test_county_batch_with_an_outsider_is_refused(hub: Hub) -> None:
    query = """query($ids: [String!]!, $case: String) {
      priorRecordsBatch(idNumbers: $ids, purpose: CORRECTION_SUPERVISION, caseNumber: $case) { idNumber } }"""

    body = await hub.gql(query, bearer(Role.CORRECTION_OFFICER, "513402"), ids=[ID_NUMBER], case=CASE)

    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_correction_officer_lists_only_their_county(hub: Hub) -> None:
    body = await hub.gql(
        "{ notices(first: 10) { items { id bureauCountyCode } } }", bearer(Role.CORRECTION_OFFICER, "513402")
    )

    assert [item["id"] for item in body["data"]["notices"]["items"]] == [hub.notice_ids["513402"]]


async def test_role_in_a_foreign_agency_gets_nothing(hub: Hub) -> None:
    headers = bearer(Role.JUDGE, "513400", agency="police")

    body = await hub.gql(PRIOR, headers, id=ID_NUMBER, purpose="TRIAL", case=CASE)

    assert body["data"] == {"priorRecords": None}
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_forbidden_message_is_chinese_by_default_and_english_on_request(hub: Hub) -> None:
    headers = bearer(Role.CORRECTION_OFFICER, "513401")

    zh = await hub.gql(NOTICE, headers, id=hub.notice_ids["513402"])
    en = await hub.gql(NOTICE, {**headers, "Accept-Language": "en"}, id=hub.notice_ids["513402"])

    assert "无权查看 513402" in zh["errors"][0]["message"]
    assert "may not run 'notice' for 513402" in en["errors"][0]["message"]
