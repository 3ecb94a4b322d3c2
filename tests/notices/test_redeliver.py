"""``redeliverNotice`` through GraphQL with real tokens, a real store and the bureau stand-in.

The operator's request only makes the notice due; ``deliver`` then sends it, once.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, insert, select

from adapters.bureau import BureauAdapter
from hub.app import create_app
from hub.notices import RetryPolicy, StoreLock, deliver, notice_rows, poll_court
from hub.notices.config import NoticeSettings
from hub.notices.delivery import DeliveryReport, _claim
from hub.settings import Settings
from hub.store import Store, notices, outbox
from hub.store.audit_tables import audit_entries
from tests.notices.conftest import CALENDAR, RULES, Bureau, FakeCourt, judgment_change
from tests.tokens import bearer

REDELIVER = """
mutation($id: ID!) { redeliverNotice(noticeId: $id) { id status attempts lastError nextAttemptAt } }
"""
NO_WAIT = RetryPolicy(base_s=0.0, cap_s=0.0, failing_after=2)


class FullBackoff(random.Random):
    """Jitter that always waits the whole backoff, so a failed notice is not due for an hour."""

    def uniform(self, a: float, b: float) -> float:
        return b


@pytest.fixture
async def adapter(bureau: Bureau) -> AsyncIterator[BureauAdapter]:
    client = BureauAdapter(bureau.url, timeout_s=0.5)
    yield client
    await client.aclose()


@pytest.fixture
async def client(store: Store, store_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A hub app on the test's store, its requests signed as a prefecture-level operator."""
    app = create_app(
        Settings(), adapters=[], notice_settings=NoticeSettings(store_url=store_url, auto_migrate=True)
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://hub", headers=bearer("operator")
        ) as operator:
            yield operator


async def redeliver(
    client: httpx.AsyncClient, notice_id: object, language: str = "zh", **headers: str
) -> dict[str, Any]:
    response = await client.post(
        "/graphql",
        json={"query": REDELIVER, "variables": {"id": str(notice_id)}},
        headers={"accept-language": language, **headers},
    )
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def polled_notice(store: Store, serial: int, **change: Any) -> int:
    court = FakeCourt([judgment_change(1, serial, **change)])
    await poll_court(store, court, lock=StoreLock(store), rules=RULES, calendar=CALENDAR)
    [row] = await notice_rows(store)
    return int(str(row["id"]))


async def deliver_once(
    store: Store, adapter: BureauAdapter, policy: RetryPolicy = NO_WAIT, rng: random.Random | None = None
) -> DeliveryReport:
    return await deliver(store, {"513401": adapter}, rules=RULES, calendar=CALENDAR, policy=policy, rng=rng)


async def redeliver_entries(store: Store) -> list[dict[str, Any]]:
    async with store.engine.connect() as conn:
        statement = select(audit_entries.c.payload).order_by(audit_entries.c.sequence)
        entries = [json.loads(payload)["entry"] for payload in (await conn.execute(statement)).scalars()]
    return [entry for entry in entries if entry["operation"] == "redeliverNotice"]


async def outbox_rows(store: Store) -> int:
    async with store.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(outbox)) or 0)


def error_of(body: dict[str, Any]) -> tuple[str, str]:
    [error] = body["errors"]
    return error["extensions"]["code"], error["message"]


async def failing_notice(store: Store, bureau: Bureau, adapter: BureauAdapter, sequence: int) -> int:
    """Poll a notice and fail its delivery twice, leaving it FAILING with an hour's backoff."""
    notice_id = await polled_notice(store, sequence)
    bureau.configure(fault="http_500", fail_next=100)
    await deliver_once(store, adapter)
    await deliver_once(
        store, adapter, RetryPolicy(base_s=3600.0, cap_s=3600.0, failing_after=2), FullBackoff()
    )
    return notice_id


async def test_redeliver_failing_notice_sent_once(
    client: httpx.AsyncClient, store: Store, bureau: Bureau, adapter: BureauAdapter
) -> None:
    notice_id = await failing_notice(store, bureau, adapter, 11)
    assert (await deliver_once(store, adapter)).claimed == 0  # waiting out an hour's backoff

    body = await redeliver(client, notice_id)

    notice = body["data"]["redeliverNotice"]
    assert "errors" not in body
    assert notice["status"] == "FAILING"
    assert notice["attempts"] == 2
    assert "UPSTREAM_FAULT" in notice["lastError"]
    assert dt.datetime.fromisoformat(notice["nextAttemptAt"]) <= dt.datetime.now(dt.UTC)
    assert await outbox_rows(store) == 1
    assert bureau.notices() == []

    bureau.configure(fail_next=0)
    report = await deliver_once(store, adapter)

    [row] = await notice_rows(store)
    [record] = bureau.notices()
    assert report.delivered == 1
    assert row["status"] == "delivered"
    assert row["attempts"] == 3
    assert record["deliveries"] == 1


async def test_redeliver_audits_operator_and_status(
    client: httpx.AsyncClient, store: Store, bureau: Bureau, adapter: BureauAdapter
) -> None:
    notice_id = await failing_notice(store, bureau, adapter, 12)

    await redeliver(client, notice_id)

    [entry] = await redeliver_entries(store)
    assert entry["kind"] == "notice_state"
    assert entry["notice_id"] == notice_id
    assert (entry["notice_from"], entry["notice_to"]) == ("failing", "failing")
    assert entry["actor_id"] == "u-operator-513400"
    assert entry["role"] == "operator"


async def test_redeliver_pending_notice_skips_backoff(
    client: httpx.AsyncClient, store: Store, bureau: Bureau, adapter: BureauAdapter
) -> None:
    notice_id = await polled_notice(store, 13)
    bureau.configure(fault="http_500", fail_next=1)
    await deliver_once(store, adapter, RetryPolicy(base_s=3600.0, cap_s=3600.0), FullBackoff())

    body = await redeliver(client, notice_id)
    report = await deliver_once(store, adapter)

    assert body["data"]["redeliverNotice"]["status"] == "PENDING"
    assert body["data"]["redeliverNotice"]["attempts"] == 1
    assert report.delivered == 1
    assert len(bureau.notices()) == 1


async def test_redeliver_due_notice_unchanged(client: httpx.AsyncClient, store: Store) -> None:
    notice_id = await polled_notice(store, 14)
    [before] = await notice_rows(store)

    body = await redeliver(client, notice_id)

    [after] = await notice_rows(store)
    assert body["data"]["redeliverNotice"]["status"] == "PENDING"
    assert after["next_attempt_at"] == before["next_attempt_at"]
    assert after["updated_at"] == before["updated_at"]
    assert await redeliver_entries(store) == []


async def test_redeliver_rejected_while_lease_held(
    client: httpx.AsyncClient, store: Store, bureau: Bureau, adapter: BureauAdapter
) -> None:
    notice_id = await polled_notice(store, 15)
    bureau.configure(fault="http_500", fail_next=100)
    await deliver_once(store, adapter, RetryPolicy(base_s=0.0, cap_s=0.0, failing_after=1))
    [claim] = await _claim(store, "busy-deliverer", 10, RetryPolicy(lease_s=60.0))

    chinese = await redeliver(client, notice_id)
    english = await redeliver(client, notice_id, "en")

    zh_code, zh_message = error_of(chinese)
    en_code, en_message = error_of(english)
    assert chinese["data"] is None
    assert zh_code == en_code == "BAD_USER_INPUT"
    assert f"通知书 {notice_id} 正在发送" in zh_message
    assert f"Notice {notice_id} is being sent now" in en_message
    async with store.engine.connect() as conn:
        owner = await conn.scalar(select(outbox.c.lease_owner).where(outbox.c.id == claim.outbox_id))
    assert owner == "busy-deliverer"
    assert await redeliver_entries(store) == []


async def test_redeliver_rejects_delivered_notice(
    client: httpx.AsyncClient, store: Store, bureau: Bureau, adapter: BureauAdapter
) -> None:
    notice_id = await polled_notice(store, 16)
    await deliver_once(store, adapter)

    chinese = await redeliver(client, notice_id)
    english = await redeliver(client, notice_id, "en")

    zh_code, zh_message = error_of(chinese)
    en_code, en_message = error_of(english)
    assert zh_code == en_code == "BAD_USER_INPUT"
    assert "“已送达”（DELIVERED），不能重新发送" in zh_message
    assert "（FAILING）或“待发送”（PENDING）" in zh_message
    assert en_message == (
        f"Notice {notice_id} is DELIVERED, so it cannot be redelivered:"
        " only a FAILING or PENDING notice can be."
    )
    assert len(bureau.notices()) == 1


async def test_redeliver_rejects_needs_attention_notice(client: httpx.AsyncClient, store: Store) -> None:
    notice_id = await polled_notice(store, 17, effective_date=None)

    code, message = error_of(await redeliver(client, notice_id))

    assert code == "BAD_USER_INPUT"
    assert "“待人工处理”（NEEDS_ATTENTION）" in message
    assert await outbox_rows(store) == 0


async def test_redeliver_without_outbox_entry_fails(client: httpx.AsyncClient, store: Store) -> None:
    now = dt.datetime.now(dt.UTC)
    row = {
        "court_name": "西昌市人民法院",
        "case_number": "（2026）川3401刑初18号",
        "case_number_raw": "（2026）川3401刑初18号",
        "status": "failing",
        "person_name_masked": "阿***",
        "court_sequence": 18,
        "attempts": 5,
        "next_attempt_at": now + dt.timedelta(hours=1),
        "created_at": now,
        "updated_at": now,
    }
    async with store.engine.begin() as conn:
        notice_id = await conn.scalar(insert(notices).values(**row).returning(notices.c.id))

    code, message = error_of(await redeliver(client, notice_id, "en"))

    assert code == "HUB_ERROR"
    assert f"Notice {notice_id} has no unsent outbox entry" in message
    assert await outbox_rows(store) == 0


@pytest.mark.parametrize("notice_id", ["999999", "abc"])
async def test_redeliver_unknown_notice_not_found(client: httpx.AsyncClient, notice_id: str) -> None:
    code, message = error_of(await redeliver(client, notice_id))

    assert code == "NOT_FOUND"
    assert f"通知书“{notice_id}”不存在" in message


async def test_redeliver_forbidden_to_correction_officer(
    client: httpx.AsyncClient, store: Store, bureau: Bureau, adapter: BureauAdapter
) -> None:
    notice_id = await polled_notice(store, 19)
    bureau.configure(fault="http_500", fail_next=100)
    await deliver_once(
        store, adapter, RetryPolicy(base_s=3600.0, cap_s=3600.0, failing_after=1), FullBackoff()
    )
    officer = bearer("correction_officer", "513401")

    body = await redeliver(client, notice_id, **officer)

    code, message = error_of(body)
    assert code == "FORBIDDEN"
    assert "重新发送通知书" in message
    assert await redeliver_entries(store) == []
