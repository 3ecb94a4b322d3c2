from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.records import Agency
from hub.app import create_app
from hub.logging import new_request_id
from hub.readiness import AgencyReadiness
from hub.settings import Settings
from tests.perf.fakes import fresh_metrics
from tests.servers import ServerThread
from tests.standins import ID_NUMBER, StandInAdapter, standins
from tests.tokens import bearer, production_auth

QUERY = {
    "query": (
        "query($id: String!) { priorRecords(idNumber: $id, purpose: TRIAL,"
        ' caseNumber: "（2026）川3401刑初5号") { idNumber } }'
    ),
    "variables": {"id": ID_NUMBER},
}

ServeApp = Callable[..., str]


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[ServeApp]:
    servers: list[ServerThread] = []

    def start(adapters: Sequence[StandInAdapter] | None = None, **settings: Any) -> str:
        if settings.get("env") == "production":
            settings = {**production_auth(tmp_path), **settings}
        app = create_app(Settings(**settings), adapters=adapters if adapters is not None else standins())
        server = ServerThread(app)
        server.start()
        servers.append(server)
        return server.url

    yield start
    for server in servers:
        server.stop()


def wait_until_ready(url: str, timeout_s: float = 5.0) -> httpx.Response:
    deadline = time.monotonic() + timeout_s
    while True:
        response = httpx.get(f"{url}/readyz")
        if response.status_code == 200 or time.monotonic() > deadline:
            return response
        time.sleep(0.02)


def access_log_lines(caplog: pytest.LogCaptureFixture, timeout_s: float = 2.0) -> list[str]:
    """Wait for the server thread's access line, which it writes after the response is sent."""
    deadline = time.monotonic() + timeout_s
    while True:
        lines = [record.getMessage() for record in caplog.records if record.name == "hub.access"]
        if lines or time.monotonic() > deadline:
            return lines
        time.sleep(0.01)


def test_healthz_answers_ok(serve: ServeApp) -> None:
    response = httpx.get(f"{serve()}/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_answers_while_adapters_start(serve: ServeApp) -> None:
    release = threading.Event()
    url = serve(standins(court=StandInAdapter(Agency.COURT, release=release)))

    response = httpx.get(f"{url}/healthz")
    release.set()

    assert response.status_code == 200


def test_readyz_is_503_until_adapters_start(serve: ServeApp) -> None:
    release = threading.Event()
    url = serve(standins(court=StandInAdapter(Agency.COURT, release=release)))

    before = httpx.get(f"{url}/readyz")
    release.set()
    after = wait_until_ready(url)

    assert before.status_code == 503
    assert before.json()["agencies"]["court"]["reason"] == "STARTING"
    assert before.json()["agencies"]["police"]["ready"] is True
    assert after.status_code == 200
    assert after.json()["status"] == "ready"


def test_readyz_is_503_without_court_wsdl(serve: ServeApp) -> None:
    url = serve(standins(court=StandInAdapter(Agency.COURT, wsdl_loaded=False)))

    response = wait_until_ready(url, timeout_s=0.3)

    assert response.status_code == 503
    assert response.json()["agencies"]["court"]["reason"] == "WSDL_NOT_LOADED"


def test_readyz_sees_wsdl_under_wrappers() -> None:
    """In production the court adapter sits under the cache, breaker and metrics layers."""
    court = StandInAdapter(Agency.COURT, wsdl_loaded=False)
    app = create_app(Settings(), adapters=standins(court=court), wrap=True, metrics=fresh_metrics())
    server = ServerThread(app)
    server.start()
    try:
        response = wait_until_ready(server.url, timeout_s=0.3)
    finally:
        server.stop()

    assert response.status_code == 503
    assert response.json()["agencies"]["court"]["reason"] == "WSDL_NOT_LOADED"


def test_readyz_is_503_for_unconfigured_agency(serve: ServeApp) -> None:
    adapters = [adapter for adapter in standins() if adapter.agency is not Agency.JUSTICE_BUREAU]
    url = serve(adapters)

    response = wait_until_ready(url, timeout_s=0.3)

    assert response.status_code == 503
    assert response.json()["agencies"]["justice_bureau"]["reason"] == "NOT_CONFIGURED"
    assert response.json()["agencies"]["justice_bureau"]["message"] == "司法局社区矫正系统未配置连接地址。"
    assert response.json()["agencies"]["police"]["message"] is None


def test_readyz_explains_in_english_on_request(serve: ServeApp) -> None:
    adapters = [adapter for adapter in standins() if adapter.agency is not Agency.JUSTICE_BUREAU]
    url = serve(adapters)
    wait_until_ready(url, timeout_s=0.3)

    response = httpx.get(f"{url}/readyz", headers={"Accept-Language": "en"})

    justice_bureau = response.json()["agencies"]["justice_bureau"]
    assert justice_bureau["reason"] == "NOT_CONFIGURED"
    assert justice_bureau["message"] == "No address is configured for the justice_bureau system."


def test_graphiql_served_in_development(serve: ServeApp) -> None:
    response = httpx.get(f"{serve(env='development')}/graphql", headers={"Accept": "text/html"})

    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


def test_graphiql_not_served_in_production(serve: ServeApp) -> None:
    response = httpx.get(f"{serve(env='production')}/graphql", headers={"Accept": "text/html"})

    assert response.status_code == 404
    assert "graphiql" not in response.text.lower()


def test_post_graphql_answers_without_redirect(serve: ServeApp) -> None:
    response = httpx.post(f"{serve()}/graphql", json=QUERY, headers=bearer("judge"), follow_redirects=False)

    assert response.status_code == 200
    assert response.json() == {"data": {"priorRecords": {"idNumber": ID_NUMBER}}}


def test_production_rejects_introspection(serve: ServeApp) -> None:
    body = httpx.post(
        f"{serve(env='production')}/graphql",
        json={"query": "{ __schema { types { name } } }"},
        headers=bearer("auditor"),
    ).json()

    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_response_carries_request_id(serve: ServeApp) -> None:
    response = httpx.get(f"{serve()}/healthz", headers={"X-Request-ID": "probe-42"})

    assert response.headers["x-request-id"] == "probe-42"


def test_missing_request_id_is_generated(serve: ServeApp) -> None:
    url = serve()

    ids = {httpx.get(f"{url}/healthz").headers["x-request-id"] for _ in range(20)}

    assert len(ids) == 20
    assert all(re.fullmatch(r"[0-9a-f]{16}", rid) for rid in ids)


def test_forked_workers_differ_in_request_ids() -> None:
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # the child writes its first id and leaves at once
        os.write(writer, new_request_id().encode())
        os._exit(0)
    os.close(writer)
    os.waitpid(child, 0)
    from_child = os.read(reader, 64).decode()
    os.close(reader)

    assert re.fullmatch(r"[0-9a-f]{16}", from_child)
    assert from_child != new_request_id()


def test_oversized_body_is_rejected(serve: ServeApp) -> None:
    url = serve(max_body_bytes=1024)

    response = httpx.post(f"{url}/graphql", json={"query": "{ __typename }", "padding": "x" * 2048})

    assert response.status_code == 413
    assert response.json() == {
        "errors": [
            {
                "message": "请求体超过 1024 字节上限，请减小请求体，例如把批量查询分成几次发送。",
                "extensions": {"code": "PAYLOAD_TOO_LARGE"},
            }
        ]
    }


def test_oversized_chunked_body_is_rejected(serve: ServeApp) -> None:
    url = serve(max_body_bytes=1024)

    def chunks() -> Iterator[bytes]:
        yield b'{"query": "{ __typename }", "padding": "'
        yield b"x" * 2048
        yield b'"}'

    headers = {"content-type": "application/json", "Accept-Language": "en", **bearer("judge")}
    response = httpx.post(f"{url}/graphql", content=chunks(), headers=headers)

    assert response.status_code == 413
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert error["message"].startswith("The request body exceeds the limit of 1024 bytes;")


async def _through_limit(headers: list[tuple[bytes, bytes]], body: bytes) -> tuple[bool, int]:
    """Send one request through the body-size limit; return whether the app read a body, and the status."""
    from starlette.types import Message, Receive, Scope, Send

    from hub.limits import BodySizeLimitMiddleware

    read: list[bytes] = []
    sent: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        read.append((await receive())["body"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/graphql", "headers": headers}
    await BodySizeLimitMiddleware(app, max_body_bytes=16)(scope, receive, send)
    return bool(read), sent[0]["status"]


async def test_body_within_declared_length_passes() -> None:
    assert await _through_limit([(b"content-length", b"10")], b"x" * 10) == (True, 200)


async def test_transfer_encoding_overrides_declared_length() -> None:
    headers = [(b"content-length", b"10"), (b"transfer-encoding", b"chunked")]

    assert await _through_limit(headers, b"x" * 40) == (False, 413)  # counted, and stopped while read


def test_shutdown_closes_adapters() -> None:
    adapters = standins()
    server = ServerThread(create_app(Settings(), adapters=adapters))
    server.start()

    wait_until_ready(server.url)
    server.stop()

    assert all(adapter.closed for adapter in adapters)


def test_request_log_line_has_method_path_status(serve: ServeApp, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="hub.access")

    httpx.get(f"{serve()}/healthz")
    lines = access_log_lines(caplog)

    assert len(lines) == 1
    assert lines[0].startswith("GET /healthz 200 ")


def test_readiness_start_failure_bilingual() -> None:
    failed = AgencyReadiness(Agency.COURT, False, "START_FAILED", "UPSTREAM_UNAVAILABLE")

    assert failed.message() == "法院适配器启动失败（UPSTREAM_UNAVAILABLE），正在重试。"
    assert failed.message("en") == "The court adapter failed to start (UPSTREAM_UNAVAILABLE); retrying."
