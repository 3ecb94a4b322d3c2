"""OpenTelemetry tracing: spans per request, operation and agency call, and never personal data."""

from __future__ import annotations

import contextlib
import http.server
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode, get_current_span

from adapters.errors import UpstreamUnavailable
from adapters.records import Agency
from hub import tracing
from hub.app import create_app
from hub.cli import hub as hub_cli
from hub.settings import Settings
from tests.standins import ID_NUMBER, StandInAdapter, standins
from tests.tokens import bearer

QUERY = """query Lookup($id: String!) {
  priorRecords(idNumber: $id, purpose: TRIAL, caseNumber: "（2026）川3401刑初5号") {
    person { name otherNames } criminalRecords { courtName } sources { agency status } } }"""
# A caller's trace: version 00, trace id, parent span id, sampled.
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN_ID = "00f067aa0ba902b7"


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    tracing.configure_tracing("off", exporter=exporter)
    yield exporter
    tracing.shutdown_tracing()


@contextlib.asynccontextmanager
async def hub_client(adapters: list[StandInAdapter], **settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(**settings), adapters=adapters, wrap=True)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        headers = bearer("judge")
        async with httpx.AsyncClient(transport=transport, base_url="http://hub", headers=headers) as client:
            yield client


async def lookup(
    adapters: list[StandInAdapter], headers: dict[str, str] | None = None, **settings: Any
) -> httpx.Response:
    async with hub_client(adapters, **settings) as client:
        return await client.post(
            "/graphql", json={"query": QUERY, "variables": {"id": ID_NUMBER}}, headers=headers or {}
        )


def finished(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    assert tracing.force_flush()
    return list(exporter.get_finished_spans())


def named(found: list[ReadableSpan], name: str) -> ReadableSpan:
    [match] = [span for span in found if span.name == name]
    return match


def parent_id(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent is not None else None


async def test_lookup_traced_from_request_to_agencies(spans: InMemorySpanExporter) -> None:
    response = await lookup(standins())
    found = finished(spans)

    server = named(found, "POST /graphql")
    operation = named(found, "graphql query Lookup")
    agencies = [span for span in found if span.kind is SpanKind.CLIENT]
    assert response.status_code == 200
    assert server.kind is SpanKind.SERVER
    assert server.attributes is not None
    assert server.attributes["http.response.status_code"] == 200
    assert server.attributes["hub.request_id"] == response.headers["x-request-id"]
    assert parent_id(operation) == server.context.span_id
    assert sorted(span.name for span in agencies) == [
        "court fetch_records",
        "justice_bureau fetch_records",
        "police fetch_records",
        "prison fetch_records",
    ]
    assert {parent_id(span) for span in agencies} == {operation.context.span_id}
    assert {span.context.trace_id for span in found} == {server.context.trace_id}


async def test_spans_carry_no_id_number_name_or_argument(spans: InMemorySpanExporter) -> None:
    response = await lookup(standins())
    person = response.json()["data"]["priorRecords"]["person"]
    found = finished(spans)

    names = [person["name"], *person["otherNames"]]
    assert all(names)
    for span in found:
        text = f"{span.name} {dict(span.attributes or {})} {[event.name for event in span.events]}"
        assert ID_NUMBER not in text
        assert ID_NUMBER[-6:] not in text
        assert not [name for name in names if name in text], span.name
        assert "idNumber" not in text


async def test_id_number_in_caller_text_is_masked(spans: InMemorySpanExporter) -> None:
    async with hub_client(standins()) as client:
        await client.post(
            "/graphql",
            json={"query": f"query Lookup_{ID_NUMBER} {{ __typename }}"},
            headers={"X-Request-ID": ID_NUMBER},
        )
    found = finished(spans)

    texts = [f"{span.name} {dict(span.attributes or {})}" for span in found]
    assert len(found) == 2
    assert not [text for text in texts if ID_NUMBER in text]
    assert named(found, "POST /graphql").attributes == {
        "http.request.method": "POST",
        "url.path": "/graphql",
        "hub.request_id": "513401********0315",
        "http.response.status_code": 200,
    }


async def test_client_mistakes_keep_their_codes(spans: InMemorySpanExporter) -> None:
    async with hub_client(standins()) as client:
        await client.post("/graphql", json={"query": "query Typo { priorRecordz }"})
        await client.post("/graphql", json={"query": "query Broken { priorRecords("})
        await client.post("/graphql", json={"query": "query A { __typename }", "operationName": "B"})
    found = finished(spans)

    codes = {span.name: (span.attributes or {}).get("hub.error_codes") for span in found}
    assert codes["graphql query Typo"] == ("GRAPHQL_VALIDATION_FAILED",)
    # A query that does not parse has no operation name to show.
    assert codes["graphql unknown anonymous"] == ("GRAPHQL_PARSE_FAILED",)
    assert "graphql unknown B" in codes


async def test_traceparent_continues_the_callers_trace(spans: InMemorySpanExporter) -> None:
    await lookup(standins(), headers={"traceparent": f"00-{TRACE_ID}-{PARENT_SPAN_ID}-01"})
    server = named(finished(spans), "POST /graphql")

    assert server.context.trace_id == int(TRACE_ID, 16)
    assert parent_id(server) == int(PARENT_SPAN_ID, 16)


async def test_failing_agency_span_carries_the_error_code(spans: InMemorySpanExporter) -> None:
    down = UpstreamUnavailable(agency="prison", operation="fetch_records")
    adapters = standins(prison=StandInAdapter(Agency.PRISON, error=down))

    await lookup(adapters)
    found = finished(spans)

    prison = named(found, "prison fetch_records")
    police = named(found, "police fetch_records")
    operation = named(found, "graphql query Lookup")
    assert prison.status.status_code is StatusCode.ERROR
    assert prison.attributes is not None
    assert prison.attributes["error.type"] == "UPSTREAM_UNAVAILABLE"
    assert police.status.status_code is StatusCode.UNSET
    assert operation.attributes is not None
    assert operation.attributes["hub.error_codes"] == ("UPSTREAM_UNAVAILABLE",)


async def test_timed_out_agency_span_says_upstream_timeout(spans: InMemorySpanExporter) -> None:
    adapters = standins(court=StandInAdapter(Agency.COURT, delay_s=2.0))

    await lookup(adapters, court_timeout_s=0.2)
    court = named(finished(spans), "court fetch_records")

    assert court.status.status_code is StatusCode.ERROR
    assert court.attributes is not None
    assert court.attributes["error.type"] == "UPSTREAM_TIMEOUT"


async def test_tracing_off_records_nothing_and_serves_as_usual() -> None:
    assert not tracing.enabled()
    with tracing.span("unused") as current:
        assert current is None

    response = await lookup(standins())

    assert response.status_code == 200
    assert "errors" not in response.json()


class _Collector(http.server.BaseHTTPRequestHandler):
    """An OTLP/HTTP receiver on loopback that keeps each request body it is sent."""

    bodies: list[bytes] = []

    def do_POST(self) -> None:  # noqa: N802 - the handler's method name is fixed
        length = int(self.headers.get("content-length", "0"))
        type(self).bodies.append(self.rfile.read(length))
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return None


def test_otlp_exporter_sends_the_spans_to_the_collector(monkeypatch: pytest.MonkeyPatch) -> None:
    _Collector.bodies = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    endpoint = f"http://127.0.0.1:{server.server_address[1]}/v1/traces"
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", endpoint)
    try:
        tracing.configure_tracing("otlp")
        with tracing.span("hub poll", {"hub.command": "hub poll"}):
            pass
        tracing.shutdown_tracing()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    [body] = _Collector.bodies
    request = ExportTraceServiceRequest.FromString(body)
    [resource_spans] = request.resource_spans
    service = {kv.key: kv.value.string_value for kv in resource_spans.resource.attributes}
    [scope_spans] = resource_spans.scope_spans
    assert service["service.name"] == tracing.SERVICE_NAME
    assert [span.name for span in scope_spans.spans] == ["hub poll"]


def test_job_round_from_the_command_line_is_traced(tmp_path: Path) -> None:
    env = {
        "HUB_TRACING": "console",
        "HUB_STORE_URL": f"sqlite+aiosqlite:///{tmp_path / 'hub.sqlite'}",
        "HUB_REDIS_URL": "",
    }
    runner = CliRunner()

    migrated = runner.invoke(hub_cli, ["migrate"], env=env)
    relinked = runner.invoke(hub_cli, ["relink"], env=env)

    assert migrated.exit_code == 0, migrated.output
    assert relinked.exit_code == 0, relinked.output
    assert '"name": "hub relink"' in relinked.stderr
    assert '"name"' not in relinked.stdout
    assert not tracing.enabled()


def test_job_span_fixed_name_and_agency(spans: InMemorySpanExporter) -> None:
    with tracing.job_span("poll", {"agency": "court", "loop_s": None}):
        pass

    [job] = finished(spans)
    assert job.name == "hub poll"
    assert job.attributes == {"hub.command": "hub poll", "hub.agency": "court"}


def test_tracing_without_the_packages_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def without_sdk(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("opentelemetry.sdk"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_sdk)

    with pytest.raises(tracing.TracingUnavailable, match=r"justice-exchange-hub\[tracing\]"):
        tracing.configure_tracing("otlp")
    assert not tracing.enabled()


async def test_operation_span_covers_parsing(
    spans: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DocumentLimits parses and validates in its operation hook, so the span must open before it."""
    import schema.build as build

    opened_at_parse: list[bool] = []
    cached_parse = build._cached_parse

    def parse(*args: Any, **kwargs: Any) -> Any:
        opened_at_parse.append(get_current_span().is_recording())
        return cached_parse(*args, **kwargs)

    monkeypatch.setattr(build, "_cached_parse", parse)
    schema = build.build_schema(production=False, traced=True)

    result = await schema.execute("query Unseen { __typename }")

    assert result.errors is None
    assert opened_at_parse == [True]
    assert named(finished(spans), "graphql query Unseen").kind is SpanKind.INTERNAL
