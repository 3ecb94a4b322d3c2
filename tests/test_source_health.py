"""``sourceHealth`` through GraphQL with real tokens: /readyz's readiness per agency, and each breaker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import httpx
from starlette.applications import Starlette

from adapters.contract import RecordAdapter
from adapters.errors import UpstreamUnavailable
from adapters.idnumber import parse_id_number
from adapters.records import Agency
from hub.app import create_app
from hub.resilience import CircuitBreaker, ConcurrencyLimiter, ResilientAdapter
from hub.settings import Settings
from tests.perf.fakes import fresh_metrics
from tests.standins import ID_NUMBER, StandInAdapter, failing, standins
from tests.tokens import bearer

HEALTH = "{ sourceHealth { agency ready reason message breakerState breakerRetryAfterS } }"


class FailingStart(StandInAdapter):
    """An adapter whose agency refuses connections at start-up."""

    async def start(self) -> None:
        raise UpstreamUnavailable(agency=self.agency.value, operation="start")


@asynccontextmanager
async def hub_client(
    adapters: Sequence[RecordAdapter], *, wrap: bool = False
) -> AsyncIterator[httpx.AsyncClient]:
    app: Starlette = create_app(Settings(), adapters=adapters, wrap=wrap, metrics=fresh_metrics())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub") as client:
            yield client


async def source_health(client: httpx.AsyncClient, role: str = "operator", language: str = "zh") -> Any:
    headers = {**bearer(role), "accept-language": language}
    response = await client.post("/graphql", json={"query": HEALTH}, headers=headers)
    return response.json()


async def settled_health(client: httpx.AsyncClient, language: str = "zh") -> dict[str, dict[str, Any]]:
    """Return the entries by agency once no adapter is still STARTING (background start)."""
    for _ in range(200):
        body = await source_health(client, language=language)
        entries = {entry["agency"]: entry for entry in body["data"]["sourceHealth"]}
        if all(entry["reason"] != "STARTING" for entry in entries.values()):
            return entries
        await asyncio.sleep(0.01)
    raise AssertionError(f"adapters still starting: {entries}")


def tripped_police() -> ResilientAdapter:
    """The police adapter behind a breaker that five refused connections have opened."""
    inner = failing(Agency.POLICE, UpstreamUnavailable(agency="police", operation="fetch_records"))
    breaker = CircuitBreaker(Agency.POLICE)
    return ResilientAdapter(inner, breaker, ConcurrencyLimiter(4), metrics=fresh_metrics())


async def open_breaker(adapter: ResilientAdapter) -> None:
    for _ in range(adapter.breaker.policy.consecutive_failures):
        try:
            await adapter.fetch_records(parse_id_number(ID_NUMBER))
        except UpstreamUnavailable:
            pass


async def test_source_health_matches_readyz() -> None:
    police = tripped_police()
    await open_breaker(police)
    adapters = [
        police,
        StandInAdapter(Agency.COURT, wsdl_loaded=False),
        FailingStart(Agency.PRISON),
    ]

    async with hub_client(adapters) as client:
        entries = await settled_health(client)
        readyz = (await client.get("/readyz")).json()["agencies"]

    assert list(entries) == ["POLICE", "COURT", "PRISON", "JUSTICE_BUREAU"]
    for agency, entry in entries.items():
        assert (entry["ready"], entry["reason"], entry["message"]) == (
            readyz[agency.lower()]["ready"],
            readyz[agency.lower()]["reason"],
            readyz[agency.lower()]["message"],
        )
    assert entries["POLICE"]["ready"] is True
    assert entries["POLICE"]["breakerState"] == "OPEN"
    assert entries["POLICE"]["breakerRetryAfterS"] > 0
    assert entries["COURT"]["reason"] == "WSDL_NOT_LOADED"
    assert entries["PRISON"]["reason"] == "START_FAILED"
    assert entries["PRISON"]["message"] == "监狱适配器启动失败（UPSTREAM_UNAVAILABLE），正在重试。"
    assert entries["JUSTICE_BUREAU"]["reason"] == "NOT_CONFIGURED"
    assert entries["JUSTICE_BUREAU"]["breakerState"] is None


async def test_source_health_messages_in_english() -> None:
    async with hub_client([StandInAdapter(Agency.POLICE)]) as client:
        entries = await settled_health(client, language="en")

    assert entries["POLICE"]["message"] is None
    assert entries["COURT"]["message"] == "No address is configured for the court system."


async def test_source_health_wrapped_adapter_breakers() -> None:
    async with hub_client(standins(), wrap=True) as client:
        entries = await settled_health(client)

    assert {entry["ready"] for entry in entries.values()} == {True}
    assert {entry["breakerState"] for entry in entries.values()} == {"CLOSED"}
    assert {entry["breakerRetryAfterS"] for entry in entries.values()} == {0.0}


async def test_source_health_forbidden_to_judge() -> None:
    async with hub_client(standins()) as client:
        body = await source_health(client, role="judge")

    [error] = body["errors"]
    assert body["data"] is None
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert "无权执行“机关系统状态”（sourceHealth）" in error["message"]
