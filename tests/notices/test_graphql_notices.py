"""The notices GraphQL surface against create_app with a real store, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import insert, select
from starlette.applications import Starlette

from hub.app import create_app
from hub.notices.config import NoticeSettings
from hub.notices.views import china_today
from hub.pubsub import NOTICE_CHANNEL, NoticeChange
from hub.settings import Settings
from hub.store import create_store, notices
from hub.store.audit_tables import audit_entries
from tests.tokens import bearer

CST = dt.timezone(dt.timedelta(hours=8))
TODAY = china_today()
NOTICE_FIELDS = """
    id caseNumber caseNumberRaw courtName status attentionReason correctionType countyCode
    bureauCountyCode countyName personNameMasked idNumberMasked effectiveDate noticeDue documentsDue
    reportingDue receiptDue overdue overdueItems attempts lastError deliveredAt receiptAt reportedOn
    createdAt updatedAt
"""
LIST = f"""
query($filter: NoticeFilter, $first: Int!, $after: String) {{
  notices(filter: $filter, first: $first, after: $after) {{ items {{ {NOTICE_FIELDS} }} nextCursor }}
}}
"""
ACKNOWLEDGE = f"""
mutation($id: ID!, $on: Date) {{ acknowledgeReceipt(noticeId: $id, receivedOn: $on) {{ {NOTICE_FIELDS} }} }}
"""
REPORT = f"""
mutation($id: ID!, $on: Date!) {{ recordReporting(noticeId: $id, reportedOn: $on) {{ {NOTICE_FIELDS} }} }}
"""
INDICATORS = """
query($start: Date!, $end: Date!, $county: String) {
  indicators(periodStart: $start, periodEnd: $end, countyCode: $county) {
    periodStart periodEnd countyCode total countsByStatus { status count } forBureau
    sentOnTime sentOnTimeShare withReceipt receiptShare
    receivedByReportingDue receivedByReportingDueShare reportedInTime reportingKnown reportedInTimeShare
  }
}
"""


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


def at_noon(n: int) -> dt.datetime:
    return dt.datetime.combine(days(n), dt.time(12), tzinfo=CST)


def notice_row(key: str, effective: int, **values: Any) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC)
    row: dict[str, Any] = {
        "court_name": "西昌市人民法院",
        "case_number": f"（2026）川3401刑初{ord(key)}号",
        "case_number_raw": f"(2026)川3401刑初{ord(key)}号",
        "status": "pending",
        "correction_type": "suspended_sentence",
        "county_code": "513401",
        "bureau_county_code": "513401",
        "person_name_masked": "阿***",
        "id_number_masked": "513401********1234",
        "effective_date": days(effective),
        "notice_due": days(effective + 5),
        "documents_due": days(effective + 10),
        "reporting_due": days(effective + 10),
        "court_sequence": ord(key),
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
    }
    return {**row, **values}


# Eight notices, keyed by letter; the comments give what the tests below expect of each.
SEED = {
    "A": notice_row("A", -20),  # pending, notice overdue, not reported in by day -10
    "B": notice_row("B", -1),  # pending, in time
    "C": notice_row(  # delivered on time, receipt overdue, reported in on time (due day -20)
        "C",
        -30,
        reported_on=days(-22),
        status="delivered",
        county_code="513402",
        bureau_county_code="513402",
        delivered_at=at_noon(-26),
        receipt_due=days(-21),
        attempts=1,
    ),
    "D": notice_row(  # received, all in time, recorded under the old Huili code
        "D",
        -30,
        reported_on=days(-20),
        status="received",
        county_code="513425",
        bureau_county_code="513402",
        delivered_at=at_noon(-27),
        receipt_due=days(-22),
        receipt_at=at_noon(-24),
        attempts=1,
    ),
    "E": notice_row(  # received, delivered late, receipt after reporting due, reported in late
        "E",
        -40,
        reported_on=days(-29),
        status="received",
        delivered_at=at_noon(-33),
        receipt_due=days(-28),
        receipt_at=at_noon(-29),
        attempts=2,
    ),
    "F": notice_row(  # routed to the police: no bureau deadline
        "F",
        -10,
        status="routed_to_police",
        notice_due=None,
        documents_due=None,
        reporting_due=None,
        correction_type=None,
    ),
    "G": notice_row(  # needs attention, county unknown, due dates computed by the hub, not reported in
        "G",
        -40,
        status="needs_attention",
        attention_reason="county_unknown",
        county_code=None,
        bureau_county_code=None,
        notice_due=None,
        documents_due=None,
        reporting_due=None,
    ),
    "H": notice_row(  # failing, in time; reporting in not due until day 7
        "H",
        -3,
        status="failing",
        attempts=5,
        last_error="UPSTREAM_TIMEOUT: bureau did not answer",
    ),
}


async def seed(url: str) -> dict[str, str]:
    store = create_store(url)
    ids = {}
    try:
        async with store.engine.begin() as conn:
            for key, row in SEED.items():
                ids[key] = str(await conn.scalar(insert(notices).values(**row).returning(notices.c.id)))
    finally:
        await store.aclose()
    return ids


def build_app(url: str, *, redis_url: str | None = None) -> Starlette:
    settings = NoticeSettings(store_url=url, redis_url=redis_url, auto_migrate=True)
    return create_app(Settings(), adapters=[], notice_settings=settings)


@pytest.fixture
async def hub(store_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str], Starlette]]:
    app = build_app(store_url)
    async with app.router.lifespan_context(app):
        ids = await seed(store_url)
        transport = httpx.ASGITransport(app=app)
        headers = bearer("correction_officer", "513400")
        async with httpx.AsyncClient(transport=transport, base_url="http://hub", headers=headers) as client:
            yield client, ids, app


async def gql(client: httpx.AsyncClient, query: str, language: str = "zh", **variables: Any) -> Any:
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers={"accept-language": language}
    )
    assert response.status_code == 200
    return response.json()


async def listed(client: httpx.AsyncClient, ids: dict[str, str], **filter: Any) -> list[str]:
    body = await gql(client, LIST, filter=filter, first=100)
    assert "errors" not in body, body
    by_id = {value: key for key, value in ids.items()}
    return sorted(by_id[item["id"]] for item in body["data"]["notices"]["items"])


async def test_notices_filter_by_county_status_overdue_and_effective_date(hub: Any) -> None:
    client, ids, _ = hub

    assert await listed(client, ids) == list("ABCDEFGH")
    assert await listed(client, ids, countyCode="513401") == list("ABEFH")
    assert await listed(client, ids, countyCode="513425") == list("CD")
    assert await listed(client, ids, countyCode="513402") == list("CD")
    assert await listed(client, ids, status="RECEIVED") == list("DE")
    assert await listed(client, ids, overdue=True) == list("ACEG")
    assert await listed(client, ids, overdue=False) == list("BDFH")
    window = {"effectiveFrom": days(-31).isoformat(), "effectiveTo": days(-15).isoformat()}
    assert await listed(client, ids, **window) == list("ACD")
    assert await listed(client, ids, countyCode="513401", overdue=True) == list("AE")


async def test_notices_reject_an_unknown_county_and_a_reversed_range(hub: Any) -> None:
    client, _, _ = hub

    county = await gql(client, LIST, filter={"countyCode": "513499"}, first=5)
    reversed_range = await gql(
        client, LIST, "en", filter={"effectiveFrom": "2026-02-01", "effectiveTo": "2026-01-01"}, first=5
    )

    assert county["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "513499" in county["errors"][0]["message"]
    assert "凉山" in county["errors"][0]["message"]
    assert reversed_range["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "start 2026-02-01 is after end 2026-01-01" in reversed_range["errors"][0]["message"]


@pytest.mark.parametrize(
    ("county", "english"),
    [("5134", "expected the six digits of a Liangshan county"), ("513499", "is not a county of Liangshan")],
)
async def test_bad_county_code_is_input_error(county_officers: Any, county: str, english: str) -> None:
    _, xide = county_officers

    listed_zh = await gql(xide, LIST, filter={"countyCode": county}, first=5)
    listed_en = await gql(xide, LIST, "en", filter={"countyCode": county}, first=5)
    counted = await gql(xide, INDICATORS, start=days(-30).isoformat(), end=days(0).isoformat(), county=county)

    for body in (listed_zh, listed_en, counted):
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert f"县级代码“{county}”" in listed_zh["errors"][0]["message"]
    assert f"County code '{county}'" in listed_en["errors"][0]["message"]
    assert english in listed_en["errors"][0]["message"]


@pytest.mark.parametrize("overdue", [None, True])
async def test_notices_pages_cover_every_notice_once_in_id_order(hub: Any, overdue: bool | None) -> None:
    client, ids, _ = hub
    seen: list[int] = []
    after = None

    for _ in range(10):
        body = await gql(
            client, LIST, filter={"overdue": overdue}, first=3 if overdue is None else 1, after=after
        )
        page = body["data"]["notices"]
        seen += [int(item["id"]) for item in page["items"]]
        after = page["nextCursor"]
        if after is None:
            break

    expected = [int(ids[key]) for key in ("ABCDEFGH" if overdue is None else "ACEG")]
    assert seen == sorted(expected, reverse=True)


@pytest.mark.parametrize(
    ("language", "fragment"),
    [("zh", "分页游标“not-a-cursor”无效"), ("en", "Cursor 'not-a-cursor' is invalid")],
)
async def test_notices_bad_cursor_is_bad_user_input_in_caller_language(
    hub: Any, language: str, fragment: str
) -> None:
    client, _, _ = hub

    body = await gql(client, LIST, language, first=3, after="not-a-cursor")

    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert fragment in body["errors"][0]["message"]


@pytest.mark.parametrize("first", [0, 101])
async def test_notices_page_size_outside_1_to_100_is_rejected(hub: Any, first: int) -> None:
    client, _, _ = hub

    body = await gql(client, LIST, "en", first=first)

    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "expected 1 to 100" in body["errors"][0]["message"]


async def test_notice_by_id_shows_counties_deadlines_and_overdue(hub: Any) -> None:
    client, ids, _ = hub
    query = f"query($id: ID!) {{ notice(id: $id) {{ {NOTICE_FIELDS} }} }}"

    huili = (await gql(client, query, id=ids["D"]))["data"]["notice"]
    late_receipt = (await gql(client, query, id=ids["C"]))["data"]["notice"]
    attention = (await gql(client, query, id=ids["G"]))["data"]["notice"]

    assert huili["countyCode"] == "513425"
    assert huili["bureauCountyCode"] == "513402"
    assert huili["countyName"] == "会理市"
    assert huili["status"] == "RECEIVED"
    assert huili["correctionType"] == "SUSPENDED_SENTENCE"
    assert huili["personNameMasked"] == "阿***"
    assert huili["idNumberMasked"] == "513401********1234"
    assert huili["noticeDue"] == days(-25).isoformat()
    assert (huili["overdue"], huili["overdueItems"]) == (False, [])
    assert (late_receipt["overdue"], late_receipt["overdueItems"]) == (True, ["RECEIPT"])
    assert attention["noticeDue"] is not None and attention["overdueItems"] == ["NOTICE", "REPORTING"]
    assert huili["reportedOn"] == days(-20).isoformat()


@pytest.mark.parametrize("raw_id", ["999999", "abc"])
async def test_notice_unknown_id_is_not_found_in_zh_and_en(hub: Any, raw_id: str) -> None:
    client, _, _ = hub
    query = "query($id: ID!) { notice(id: $id) { id } }"

    zh = await gql(client, query, id=raw_id)
    en = await gql(client, query, "en", id=raw_id)

    assert zh["data"] == {"notice": None}
    assert zh["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert zh["errors"][0]["message"] == f"通知书“{raw_id}”不存在，请核对编号。"
    assert en["errors"][0]["message"] == f"Notice '{raw_id}' does not exist; check the id."


async def test_acknowledge_receipt_marks_received_once_and_publishes_once(hub: Any) -> None:
    client, ids, app = hub
    pubsub = app.state.notices.pubsub

    async with pubsub.subscribe(NOTICE_CHANNEL) as messages:
        first = await gql(client, ACKNOWLEDGE, id=ids["B"])
        again = await gql(client, ACKNOWLEDGE, id=ids["B"], on=days(-1).isoformat())
        published = NoticeChange.decode(await asyncio.wait_for(anext(messages), 2))
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(anext(messages), 0.3)

    notice = first["data"]["acknowledgeReceipt"]
    assert notice["status"] == "RECEIVED"
    assert dt.datetime.fromisoformat(notice["receiptAt"]).astimezone(CST).date() == TODAY
    assert again["data"]["acknowledgeReceipt"] == notice
    assert published is not None and published.notice_id == int(ids["B"])
    assert published.bureau_county_code == "513401"


async def test_acknowledge_receipt_on_past_day_records_that_day(hub: Any) -> None:
    client, ids, _ = hub

    body = await gql(client, ACKNOWLEDGE, id=ids["C"], on=days(-2).isoformat())

    notice = body["data"]["acknowledgeReceipt"]
    assert dt.datetime.fromisoformat(notice["receiptAt"]).astimezone(CST).date() == days(-2)
    assert notice["overdueItems"] == ["RECEIPT"]  # due on day -21, signed on day -2


async def test_acknowledge_receipt_rejects_future_day_police_notice_unknown_id(hub: Any) -> None:
    client, ids, _ = hub

    future = await gql(client, ACKNOWLEDGE, "en", id=ids["A"], on=days(1).isoformat())
    police = await gql(client, ACKNOWLEDGE, id=ids["F"])
    unknown = await gql(client, ACKNOWLEDGE, id="424242")

    assert future["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert f"Receipt date {days(1).isoformat()} is after today" in future["errors"][0]["message"]
    assert police["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "移送公安机关" in police["errors"][0]["message"]
    assert unknown["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert (await listed(client, ids, status="RECEIVED")) == list("DE")


async def test_indicators_count_statuses_and_shares_over_the_period(hub: Any) -> None:
    client, _, _ = hub

    body = await gql(client, INDICATORS, start=days(-60).isoformat(), end=TODAY.isoformat())

    result = body["data"]["indicators"]
    counts = {item["status"]: item["count"] for item in result["countsByStatus"]}
    assert counts == {
        "PENDING": 2, "NEEDS_ATTENTION": 1, "DELIVERING": 0, "DELIVERED": 1,
        "FAILING": 1, "RECEIVED": 2, "ROUTED_TO_POLICE": 1,
    }  # fmt: skip
    assert (result["total"], result["forBureau"]) == (8, 7)
    assert (result["sentOnTime"], result["sentOnTimeShare"]) == (2, 2 / 7)
    assert (result["withReceipt"], result["receiptShare"]) == (2, 2 / 7)
    assert (result["receivedByReportingDue"], result["receivedByReportingDueShare"]) == (1, 1 / 7)
    # Known: A and G (due passed, not reported), C and D (on time), E (late); B and H not yet due.
    assert (result["reportedInTime"], result["reportingKnown"], result["reportedInTimeShare"]) == (
        2,
        5,
        2 / 5,
    )


async def test_indicators_for_old_huili_code_count_the_city(hub: Any) -> None:
    client, _, _ = hub

    body = await gql(client, INDICATORS, start=days(-31).isoformat(), end=TODAY.isoformat(), county="513425")

    result = body["data"]["indicators"]
    assert result["countyCode"] == "513402"
    assert (result["total"], result["forBureau"], result["sentOnTimeShare"]) == (2, 2, 1.0)
    assert (result["receiptShare"], result["receivedByReportingDueShare"]) == (0.5, 0.5)
    assert (result["reportedInTime"], result["reportingKnown"], result["reportedInTimeShare"]) == (2, 2, 1.0)


async def test_indicators_empty_period_gives_zero_counts_null_shares(hub: Any) -> None:
    client, _, _ = hub

    body = await gql(client, INDICATORS, start="2000-01-01", end="2000-12-31")

    result = body["data"]["indicators"]
    assert result["total"] == result["forBureau"] == result["sentOnTime"] == result["withReceipt"] == 0
    assert {item["count"] for item in result["countsByStatus"]} == {0}
    assert result["sentOnTimeShare"] is result["receiptShare"] is result["reportedInTimeShare"] is None
    assert result["reportedInTime"] == result["reportingKnown"] == 0


async def reporting_audit(url: str) -> list[tuple[int, str, str]]:
    """(notice id, operation, actor's county) of each recordReporting audit entry, oldest first."""
    store = create_store(url)
    try:
        async with store.engine.connect() as conn:
            statement = select(audit_entries.c.payload).order_by(audit_entries.c.sequence)
            payloads = (await conn.execute(statement)).scalars().all()
    finally:
        await store.aclose()
    entries = [json.loads(payload)["entry"] for payload in payloads]
    return [
        (e["notice_id"], e["operation"], e["unit_county"])
        for e in entries
        if e["operation"] == "recordReporting"
    ]


@pytest.fixture
async def county_officers(
    hub: Any,
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """Correction officers of Xichang (513401, where A, B, H are) and of Xide (513431)."""
    _, _, app = hub
    transport = httpx.ASGITransport(app=app)
    own = bearer("correction_officer", "513401")
    other = bearer("correction_officer", "513431")
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://hub", headers=own) as xichang,
        httpx.AsyncClient(transport=transport, base_url="http://hub", headers=other) as xide,
    ):
        yield xichang, xide


async def test_record_reporting_by_own_county_officer_is_stored_audited_and_published_once(
    hub: Any, county_officers: Any, store_url: str
) -> None:
    _, ids, app = hub
    xichang, _ = county_officers
    pubsub = app.state.notices.pubsub

    async with pubsub.subscribe(NOTICE_CHANNEL) as messages:
        first = await gql(xichang, REPORT, id=ids["A"], on=days(-12).isoformat())
        again = await gql(xichang, REPORT, id=ids["A"], on=days(-12).isoformat())
        published = NoticeChange.decode(await asyncio.wait_for(anext(messages), 2))
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(anext(messages), 0.3)

    notice = first["data"]["recordReporting"]
    assert notice["reportedOn"] == days(-12).isoformat()
    assert notice["overdueItems"] == ["NOTICE"]  # reported in two days before reportingDue (day -10)
    assert again["data"]["recordReporting"] == notice
    assert published is not None and published.notice_id == int(ids["A"])
    assert await reporting_audit(store_url) == [(int(ids["A"]), "recordReporting", "513401")]


async def test_record_reporting_after_reporting_due_leaves_reporting_overdue(
    hub: Any, county_officers: Any
) -> None:
    _, ids, _ = hub
    xichang, _ = county_officers

    body = await gql(xichang, REPORT, id=ids["A"], on=days(-5).isoformat())

    notice = body["data"]["recordReporting"]
    assert (notice["overdue"], notice["overdueItems"]) == (True, ["NOTICE", "REPORTING"])


async def test_record_reporting_for_another_county_is_forbidden_and_changes_nothing(
    hub: Any, county_officers: Any, store_url: str
) -> None:
    client, ids, _ = hub
    _, xide = county_officers

    body = await gql(xide, REPORT, id=ids["A"], on=days(-12).isoformat())

    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    notice = (await gql(client, "query($id: ID!) { notice(id: $id) { reportedOn } }", id=ids["A"]))["data"]
    assert notice == {"notice": {"reportedOn": None}}
    assert await reporting_audit(store_url) == []


async def test_record_reporting_rejects_future_and_pre_effective_days_in_zh_and_en(
    hub: Any, county_officers: Any, store_url: str
) -> None:
    _, ids, _ = hub
    xichang, _ = county_officers

    future_zh = await gql(xichang, REPORT, id=ids["B"], on=days(1).isoformat())
    future_en = await gql(xichang, REPORT, "en", id=ids["B"], on=days(1).isoformat())
    early_zh = await gql(xichang, REPORT, id=ids["B"], on=days(-2).isoformat())
    early_en = await gql(xichang, REPORT, "en", id=ids["B"], on=days(-2).isoformat())

    for body in (future_zh, future_en, early_zh, early_en):
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert f"报到日期 {days(1).isoformat()} 晚于今天" in future_zh["errors"][0]["message"]
    assert f"Reporting-in date {days(1).isoformat()} is after today" in future_en["errors"][0]["message"]
    assert f"早于判决生效日 {days(-1).isoformat()}" in early_zh["errors"][0]["message"]
    assert "before the judgment took effect" in early_en["errors"][0]["message"]
    assert await reporting_audit(store_url) == []


async def test_record_reporting_shifts_the_indicators(hub: Any, county_officers: Any) -> None:
    client, ids, _ = hub
    xichang, _ = county_officers

    await gql(xichang, REPORT, id=ids["A"], on=days(-10).isoformat())  # on the due day: in time
    await gql(xichang, REPORT, id=ids["H"], on=days(-1).isoformat())  # early, before due day 7
    body = await gql(client, INDICATORS, start=days(-60).isoformat(), end=TODAY.isoformat())

    result = body["data"]["indicators"]
    # In time now A, C, D, H; known A, C, D, E, G, H; B is still within its ten days.
    assert (result["reportedInTime"], result["reportingKnown"], result["reportedInTimeShare"]) == (
        4,
        6,
        4 / 6,
    )
