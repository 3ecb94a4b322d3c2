"""``noticeChanged`` over graphql-transport-ws against a real uvicorn server.

Three ways a change reaches a subscriber: the acknowledge mutation in the same process, a
row changed by another process (the store watcher), and Redis from another replica.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import redis.asyncio as redis
from sqlalchemy import update
from websockets.asyncio.client import ClientConnection, connect

import hub.notices.views
from hub.pubsub import NOTICE_CHANNEL
from hub.store import create_store, notices
from tests.notices.test_graphql_notices import ACKNOWLEDGE, build_app, seed
from tests.servers import serve_in_thread
from tests.tokens import bearer

SUBSCRIBE = "subscription($county: String) { noticeChanged(countyCode: $county) { id status receiptAt } }"
WAIT_S = 10.0


@contextlib.asynccontextmanager
async def subscription(
    base_url: str, county: str | None, headers: dict[str, str] | None = None
) -> AsyncIterator[ClientConnection]:
    url = base_url.replace("http://", "ws://") + "/graphql"
    authorization = (headers or bearer("correction_officer", "513400"))["Authorization"]
    async with connect(url, subprotocols=["graphql-transport-ws"]) as socket:  # type: ignore[list-item]
        await socket.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": authorization}})
        )
        assert json.loads(await socket.recv())["type"] == "connection_ack"
        message = {
            "id": "1",
            "type": "subscribe",
            "payload": {"query": SUBSCRIBE, "variables": {"county": county}},
        }
        await socket.send(json.dumps(message))
        yield socket


async def next_notice(socket: ClientConnection) -> dict[str, Any]:
    message = json.loads(await asyncio.wait_for(socket.recv(), WAIT_S))
    assert message["type"] == "next", message
    notice: dict[str, Any] = message["payload"]["data"]["noticeChanged"]
    return notice


async def wait_for(condition: Callable[[], Any]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not await condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def acknowledge(base_url: str, notice_id: str) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{base_url}/graphql",
            json={"query": ACKNOWLEDGE, "variables": {"id": notice_id}},
            headers=bearer("correction_officer", "513400"),
        )
    assert response.json()["data"]["acknowledgeReceipt"]["status"] == "RECEIVED"


async def test_notice_changed_sends_acknowledgements_of_its_county_only(store_url: str) -> None:
    app = build_app(store_url)
    with serve_in_thread(app) as base:
        ids = await seed(store_url)
        pubsub = app.state.notices.pubsub

        async with subscription(base, "513401") as socket:
            await wait_for(lambda: _true(pubsub.subscribers(NOTICE_CHANNEL) == 1))
            await acknowledge(base, ids["C"])  # Huili, 513402: not for this subscriber
            await acknowledge(base, ids["B"])

            notice = await next_notice(socket)

    assert (notice["id"], notice["status"]) == (ids["B"], "RECEIVED")


async def test_notice_changed_sends_a_change_another_process_commits(store_url: str) -> None:
    app = build_app(store_url)
    with serve_in_thread(app) as base:
        ids = await seed(store_url)
        pubsub = app.state.notices.pubsub

        async with subscription(base, None) as socket:
            await wait_for(lambda: _true(pubsub.subscribers(NOTICE_CHANNEL) == 1))
            await _deliver_as_hub_deliver_would(store_url, ids["A"])

            notice = await next_notice(socket)

    assert (notice["id"], notice["status"]) == (ids["A"], "DELIVERED")


@pytest.mark.services
async def test_notice_changed_sends_another_replicas_acknowledgement_via_redis(
    store_url: str, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A watcher this slow cannot be what delivers the change within the wait: Redis must.
    monkeypatch.setattr(hub.notices.views, "WATCH_INTERVAL_S", 3600.0)
    first, second = build_app(store_url, redis_url=redis_url), build_app(store_url, redis_url=redis_url)
    client = redis.Redis.from_url(redis_url)
    try:
        with serve_in_thread(first) as first_base, serve_in_thread(second) as second_base:
            ids = await seed(store_url)

            async with subscription(second_base, "513425") as socket:
                await wait_for(lambda: _subscribed(client))
                await acknowledge(first_base, ids["C"])

                notice = await next_notice(socket)
    finally:
        await client.aclose()

    assert (notice["id"], notice["status"]) == (ids["C"], "RECEIVED")


async def _deliver_as_hub_deliver_would(url: str, notice_id: str) -> None:
    store = create_store(url)
    now = dt.datetime.now(dt.UTC)
    try:
        async with store.engine.begin() as conn:
            await conn.execute(
                update(notices)
                .where(notices.c.id == int(notice_id))
                .values(status="delivered", delivered_at=now, attempts=1, updated_at=now)
            )
    finally:
        await store.aclose()


async def _subscribed(client: redis.Redis) -> bool:
    counts = await client.pubsub_numsub(NOTICE_CHANNEL)
    return bool(counts and counts[0][1] >= 1)


async def _true(value: bool) -> bool:
    return value
