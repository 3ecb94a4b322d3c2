"""The wired hub: cache, breakers and metrics in ``create_app``, seen as an officer and an operator."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import socket
import statistics
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import insert

from adapters.court import CourtAdapter
from adapters.errors import AdapterNotReady
from adapters.records import Agency
from hub.agency_stack import build_record_cache, wrap_adapters
from hub.app import create_app
from hub.settings import Settings
from hub.settings_perf import PerfSettings
from hub.store import create_store
from hub.store.tables import notices, poll_watermarks
from tests.legacy_db import closed_port
from tests.perf.fakes import PERSON, fresh_metrics
from tests.perf.test_batch import audit_count
from tests.servers import ServerThread
from tests.standins import ID_NUMBER, StandInAdapter, standins
from tests.tokens import bearer

LOOKUP = {
    "query": (
        "query($id: String!) { priorRecords(idNumber: $id, purpose: TRIAL,"
        ' caseNumber: "（2026）川3401刑初5号") { idNumber sources { agency status latencyMs } } }'
    ),
    "variables": {"id": ID_NUMBER},
}


@pytest.fixture
def serve() -> Iterator[Any]:
    servers: list[ServerThread] = []

    def start(adapters: list[StandInAdapter], perf: PerfSettings, **settings: Any) -> str:
        app = create_app(
            Settings(**settings), adapters=adapters, wrap=True, perf_settings=perf, metrics=fresh_metrics()
        )
        server = ServerThread(app)
        server.start()
        servers.append(server)
        return server.url

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def redis_server(tmp_path: Any) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """A redis-server of this test's own on a free loopback port, which the test may kill."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    args = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 5
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.02)
    yield process, port
    if process.poll() is None:
        process.kill()
    process.wait(timeout=5)


def lookup(url: str, id_number: str = ID_NUMBER) -> dict[str, Any]:
    body = {**LOOKUP, "variables": {"id": id_number}}
    response = httpx.post(f"{url}/graphql", json=body, headers=bearer("judge"), timeout=10)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def statuses(body: dict[str, Any]) -> dict[str, str]:
    return {source["agency"]: source["status"] for source in body["data"]["priorRecords"]["sources"]}


def test_lookups_keep_answering_when_redis_stops(
    serve: Any, redis_server: tuple[subprocess.Popen[bytes], int]
) -> None:
    process, port = redis_server
    url = serve(standins(), PerfSettings(redis_url=f"redis://127.0.0.1:{port}/0"))
    assert "errors" not in lookup(url)

    process.kill()
    process.wait(timeout=5)
    answers = [lookup(url) for _ in range(3)]

    assert all("errors" not in body for body in answers)
    assert all(set(statuses(body).values()) == {"OK"} for body in answers)
    scrape = httpx.get(f"{url}/metrics").text
    assert 'hub_cache_lookups_total{agency="police",result="unavailable"}' in scrape


def test_breaker_opens_others_stay_fast(serve: Any) -> None:
    court = StandInAdapter(Agency.COURT, delay_s=0.01)
    others = {
        name: StandInAdapter(agency, delay_s=0.02)
        for name, agency in (
            ("police", Agency.POLICE),
            ("prison", Agency.PRISON),
            ("justice_bureau", Agency.JUSTICE_BUREAU),
        )
    }
    perf = PerfSettings(
        breaker_consecutive_failures=3,
        cache_ttl_court_s=0,
        cache_ttl_police_s=0,
        cache_ttl_prison_s=0,
        cache_ttl_correction_s=0,
    )
    url = serve(standins(court=court, **others), perf, court_timeout_s=0.3)

    def police_ms(body: dict[str, Any]) -> float:
        sources = body["data"]["priorRecords"]["sources"]
        return float(next(s["latencyMs"] for s in sources if s["agency"] == "POLICE"))

    healthy = [police_ms(lookup(url)) for _ in range(5)]
    court.delay_s = 5.0
    failing = [lookup(url) for _ in range(6)]

    assert statuses(failing[-1])["COURT"] == "UNAVAILABLE"
    assert 'hub_breaker_state{agency="court"} 2.0' in httpx.get(f"{url}/metrics").text
    assert len(court.calls) == 5 + 3  # the open breaker refused the last three calls
    open_phase = [police_ms(body) for body in failing[3:]]
    assert statistics.median(open_phase) <= max(
        2 * statistics.median(healthy), statistics.median(healthy) + 50
    )


def test_metrics_expose_listed_series(serve: Any) -> None:
    url = serve(standins(), PerfSettings())
    lookup(url)
    lookup(url)
    asyncio.run(_poll_and_notice_rows())

    scrape = httpx.get(f"{url}/metrics").text

    assert 'hub_upstream_call_seconds_bucket{agency="police",le="0.005",outcome="ok"}' in scrape
    assert "# HELP hub_upstream_errors_total" in scrape
    assert 'hub_breaker_state{agency="prison"} 0.0' in scrape
    # The stand-in police response contains a sealed detention, so police lookups never hit the cache.
    assert 'hub_cache_lookups_total{agency="prison",result="hit"} 1.0' in scrape
    assert 'hub_cache_lookups_total{agency="police",result="uncacheable"}' in scrape
    assert 'hub_poll_lag_seconds{agency="court"}' in scrape
    assert 'hub_notices{status="pending"} 1.0' in scrape
    assert ID_NUMBER not in scrape


async def _poll_and_notice_rows() -> None:
    store = create_store(os.environ["HUB_STORE_URL"])
    now = dt.datetime.now(dt.UTC)
    notice = {
        "court_name": "西昌市人民法院",
        "case_number": "（2026）川3401刑初5号",
        "case_number_raw": "（2026）川3401刑初5号",
        "status": "pending",
        "person_name_masked": "苏*",
        "court_sequence": 1,
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
    }
    try:
        async with store.engine.begin() as conn:
            await conn.execute(insert(poll_watermarks).values(agency="court", position=7, updated_at=now))
            await conn.execute(insert(notices).values(**notice))
    finally:
        await store.aclose()


async def test_wrapped_court_never_loads_wsdl_on_request() -> None:
    court = CourtAdapter(f"http://127.0.0.1:{closed_port()}/ws/court", timeout_s=1.0)
    metrics = fresh_metrics()
    cache = build_record_cache(PerfSettings(), metrics=metrics)
    [wrapped] = wrap_adapters([court], PerfSettings(), {Agency.COURT: 1.0}, cache, metrics=metrics)

    with pytest.raises(AdapterNotReady):
        await wrapped.fetch_records(PERSON)
    with pytest.raises(AdapterNotReady):
        await wrapped.fetch_records_many([PERSON])  # type: ignore[attr-defined]

    assert not court.wsdl_loaded


def test_concurrent_lookups_all_audited(serve: Any) -> None:
    url = serve(standins(), PerfSettings())

    async def many() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=url, headers=bearer("judge"), timeout=30) as client:
            return list(await asyncio.gather(*(client.post("/graphql", json=LOOKUP) for _ in range(16))))

    responses = asyncio.run(many())

    assert [response.status_code for response in responses] == [200] * 16
    assert all("errors" not in response.json() for response in responses)
    assert asyncio.run(audit_count()) == 16
