"""How the court adapter fails: faults, hostile bodies, a stopped server, a slow server."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from adapters.court import CourtAdapter
from adapters.errors import UpstreamDataError, UpstreamFault, UpstreamTimeout, UpstreamUnavailable
from adapters.idnumber import parse_id_number
from adapters.soap import SoapClient
from tests.court_support import KUN, ServerThread, court_stand_in, sample_dataset, started_adapter

HOSTILE_MODES = [
    "dtd",
    "external_dtd",
    "external_entity",
    "billion_laughs",
    "embedded_entity",
    "embedded_billion_laughs",
]


@pytest.fixture
def court(tmp_path: Path) -> Iterator[ServerThread]:
    with court_stand_in(tmp_path, sample_dataset()) as server:
        yield server


@pytest.fixture
async def adapter(court: ServerThread) -> AsyncIterator[CourtAdapter]:
    async with started_adapter(court) as started:
        yield started


async def admin(
    court: ServerThread, path: str, settings: dict[str, object] | None = None
) -> dict[str, object]:
    async with httpx.AsyncClient() as client:
        if settings is None:
            response = await client.get(court.url + path)
        else:
            response = await client.post(court.url + path, json=settings)
    response.raise_for_status()
    result: dict[str, object] = response.json()
    return result


async def test_server_fault_keeps_chinese_faultstring(adapter: CourtAdapter, court: ServerThread) -> None:
    await admin(court, "/admin/config", {"failure_rate": 1.0})

    with pytest.raises(UpstreamFault) as caught:
        await adapter.fetch_records(parse_id_number(KUN.id_number))

    assert caught.value.fault_string == "系统繁忙，请稍后再试"
    assert caught.value.fault_code == "soap:Server"
    assert "系统繁忙" in caught.value.render("zh")


async def test_upstream_fault_chains_zeep_fault(adapter: CourtAdapter, court: ServerThread) -> None:
    await admin(court, "/admin/config", {"failure_rate": 1.0})

    with pytest.raises(UpstreamFault) as caught:
        await adapter.judgment_by_case_number("（2024）川3401刑初12号")

    assert type(caught.value.__cause__).__name__ == "Fault"


@pytest.mark.parametrize("mode", HOSTILE_MODES)
async def test_hostile_body_rejected_unfetched(adapter: CourtAdapter, court: ServerThread, mode: str) -> None:
    await admin(court, "/admin/config", {"hostile": mode})

    with pytest.raises(UpstreamDataError):
        await adapter.fetch_records(parse_id_number(KUN.id_number))

    assert (await admin(court, "/admin/stats"))["canary_hits"] == 0


@pytest.mark.parametrize("mode", ["external_entity", "embedded_entity", "external_dtd"])
async def test_local_file_entity_rejected(
    adapter: CourtAdapter, court: ServerThread, tmp_path: Path, mode: str
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("CANARY-SECRET-513401", encoding="utf-8")
    await admin(court, "/admin/config", {"hostile": mode, "hostile_target": secret.as_uri()})

    with pytest.raises(UpstreamDataError) as caught:
        await adapter.fetch_records(parse_id_number(KUN.id_number))

    assert "CANARY-SECRET" not in caught.value.render("zh")


async def test_canary_counts_a_fetch(court: ServerThread) -> None:
    async with httpx.AsyncClient() as client:
        await client.get(court.url + "/canary/xxe")

    assert (await admin(court, "/admin/stats"))["canary_hits"] == 1


async def test_stopped_server_is_unavailable(adapter: CourtAdapter, court: ServerThread) -> None:
    court.stop()

    with pytest.raises(UpstreamUnavailable):
        await adapter.fetch_records(parse_id_number(KUN.id_number))


async def test_start_stopped_server_is_unavailable(court: ServerThread) -> None:
    court.stop()
    adapter = CourtAdapter(court.url + "/ws/court")

    with pytest.raises(UpstreamUnavailable):
        await adapter.start()
    await adapter.aclose()


async def test_latency_beyond_timeout_times_out(court: ServerThread) -> None:
    adapter = CourtAdapter(court.url + "/ws/court", timeout_s=0.3)
    await adapter.start()
    await admin(court, "/admin/config", {"latency_ms": 1000})

    with pytest.raises(UpstreamTimeout) as caught:
        await adapter.judgment_changes(0)
    await adapter.aclose()

    assert caught.value.params["timeout_s"] == 0.3


async def test_latency_within_timeout_succeeds(court: ServerThread) -> None:
    adapter = CourtAdapter(court.url + "/ws/court", timeout_s=2.0)
    await adapter.start()
    await admin(court, "/admin/config", {"latency_ms": 100})

    changes = await adapter.judgment_changes(0)
    await adapter.aclose()

    assert len(changes) == 5


async def test_wsdl_loaded_only_in_start(court: ServerThread) -> None:
    adapter = CourtAdapter(court.url + "/ws/court")
    loaded_before = adapter.wsdl_loaded
    fetched_before = (await admin(court, "/admin/stats"))["wsdl_requests"]

    await adapter.start()
    await adapter.fetch_records(parse_id_number(KUN.id_number))
    await adapter.judgment_changes(0)
    await adapter.aclose()

    assert loaded_before is False
    assert fetched_before == 0
    assert adapter.wsdl_loaded is True
    assert (await admin(court, "/admin/stats"))["wsdl_requests"] == 1


async def test_call_logs_one_masked_line(adapter: CourtAdapter, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        await adapter.fetch_records(parse_id_number(KUN.id_number))

    info = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO and r.name == "adapters.soap"]
    assert info[0].startswith("upstream call agency=court operation=queryPjxxBySfzh outcome=ok ms=")
    assert KUN.id_number not in caplog.text
    assert KUN.name not in caplog.text


async def test_cancelled_call_logs_cancelled(court: ServerThread, caplog: pytest.LogCaptureFixture) -> None:
    adapter = CourtAdapter(court.url + "/ws/court", timeout_s=5.0)
    await adapter.start()
    await admin(court, "/admin/config", {"latency_ms": 2000})

    with caplog.at_level(logging.INFO, logger="adapters.soap"):
        call = asyncio.create_task(adapter.judgment_changes(0))
        await asyncio.sleep(0.5)  # the request is at the stand-in, which waits 2 s to respond
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
    await adapter.aclose()

    lines = [r.getMessage() for r in caplog.records if r.name == "adapters.soap"]
    assert lines[-1].startswith("upstream call agency=court operation=")
    assert " outcome=CANCELLED " in lines[-1]


class DroppingTransport(httpx.AsyncBaseTransport):
    """Drops the first ``drops`` operation calls (POSTs) as a server closing a kept-alive connection would."""

    def __init__(self, drops: int) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.drops = drops
        self.posts = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            self.posts += 1
            if self.posts <= self.drops:
                raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.mark.parametrize(
    ("read_only", "drops", "outcome"),
    [(True, 1, "answered"), (True, 2, "UPSTREAM_UNAVAILABLE"), (False, 1, "UPSTREAM_UNAVAILABLE")],
)
async def test_dropped_connection_resent_once_for_reads(
    court: ServerThread, read_only: bool, drops: int, outcome: str
) -> None:
    transport = DroppingTransport(drops)
    url = court.url + "/ws/court"
    soap = SoapClient(
        agency="court",
        service_url=url,
        wsdl_url=url + "?wsdl",
        timeout_s=5.0,
        read_only=read_only,
        transport=transport,
    )
    await soap.start()
    try:
        result = "answered"
        try:
            await soap.call("getFwzt")
        except UpstreamUnavailable as exc:
            result = exc.code
    finally:
        await soap.aclose()

    assert result == outcome
    assert transport.posts == (2 if read_only else 1)
