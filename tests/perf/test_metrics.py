"""Metrics and the per-call log line: counted, exposed on /metrics, personal data masked."""

from __future__ import annotations

import logging

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from adapters.errors import UpstreamTimeout, UpstreamUnavailable
from adapters.records import Agency
from hub.agency_stack import build_record_cache, resilient_timeout, wrap_adapters
from hub.cache import CachingAdapter, always_cacheable
from hub.logging import request_id
from hub.metrics import InstrumentedAdapter, metrics_endpoint
from hub.settings_perf import PerfSettings
from tests.perf.fakes import PERSON, fresh_metrics, sample
from tests.standins import ID_NUMBER, StandInAdapter


async def test_instrumented_adapter_times_calls_and_counts_errors() -> None:
    metrics = fresh_metrics()
    inner = StandInAdapter(Agency.COURT)
    adapter = InstrumentedAdapter(inner, metrics)

    await adapter.fetch_records(PERSON)
    inner.error = UpstreamTimeout(agency="court", operation="fetch_records", timeout_s=1)
    with pytest.raises(UpstreamTimeout):
        await adapter.fetch_records(PERSON)

    ok = sample(metrics, "hub_upstream_call_seconds_count", agency="court", outcome="ok")
    failed = sample(metrics, "hub_upstream_call_seconds_count", agency="court", outcome="error")
    assert (ok, failed) == (1, 1)
    assert sample(metrics, "hub_upstream_errors_total", agency="court", code="UPSTREAM_TIMEOUT") == 1


async def test_call_log_line_has_request_id_and_masked_number(caplog: pytest.LogCaptureFixture) -> None:
    adapter = InstrumentedAdapter(StandInAdapter(Agency.POLICE), fresh_metrics())
    token = request_id.set("req-42")
    try:
        with caplog.at_level(logging.INFO, logger="hub.metrics"):
            await adapter.fetch_records(PERSON)
    finally:
        request_id.reset(token)

    [line] = [record.getMessage() for record in caplog.records if record.name == "hub.metrics"]
    assert "agency=police" in line and "outcome=ok" in line and "request_id=req-42" in line
    assert ID_NUMBER not in line
    assert PERSON.masked() in line


async def test_metrics_route_serves_prometheus_text() -> None:
    metrics = fresh_metrics()
    metrics.cache_event(Agency.COURT, "hit")
    metrics.set_breaker_state(Agency.PRISON, "open")
    metrics.observe_poll_lag(Agency.COURT, 12.5)
    metrics.set_notices_by_status({"pending": 3, "delivered": 7})
    app = Starlette(routes=[Route("/metrics", metrics_endpoint(metrics))])

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://hub") as client:
        response = await client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    body = response.text
    assert 'hub_cache_lookups_total{agency="court",result="hit"} 1.0' in body
    assert 'hub_breaker_state{agency="prison"} 2.0' in body
    assert 'hub_poll_lag_seconds{agency="court"} 12.5' in body
    assert 'hub_notices{status="delivered"} 7.0' in body


async def test_metrics_token_gates_the_scrape() -> None:
    metrics = fresh_metrics()
    metrics.cache_event(Agency.COURT, "hit")
    app = Starlette(routes=[Route("/metrics", metrics_endpoint(metrics, token="scrape-secret-1"))])

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://hub") as client:
        missing = await client.get("/metrics")
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer scrape-secret-2"})
        right = await client.get("/metrics", headers={"Authorization": "Bearer scrape-secret-1"})

    for rejected in (missing, wrong):
        assert rejected.status_code == 401
        assert rejected.headers["www-authenticate"].startswith("Bearer")
        assert "hub_cache_lookups" not in rejected.text
    assert right.status_code == 200
    assert 'hub_cache_lookups_total{agency="court",result="hit"} 1.0' in right.text


def test_metrics_token_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_METRICS_TOKEN", "scrape-secret-1")
    settings = PerfSettings()

    assert settings.metrics_token_value() == "scrape-secret-1"
    assert "scrape-secret-1" not in repr(settings)


def test_notice_status_missing_from_new_counts_drops_to_zero() -> None:
    metrics = fresh_metrics()
    metrics.set_notices_by_status({"pending": 3, "failing": 1})

    metrics.set_notices_by_status({"pending": 2})

    assert sample(metrics, "hub_notices", status="failing") == 0
    assert sample(metrics, "hub_notices", status="pending") == 2


async def test_wrapped_stack_counts_hits_breaker_state_and_calls() -> None:
    metrics = fresh_metrics()
    settings = PerfSettings(breaker_consecutive_failures=2)
    # The stand-in's judgment may be sealed; the sealing veto has tests of its own.
    cache = build_record_cache(settings, is_cacheable=always_cacheable, metrics=metrics)
    court = StandInAdapter(Agency.COURT)
    police = StandInAdapter(
        Agency.POLICE, error=UpstreamUnavailable(agency="police", operation="fetch_records")
    )
    wrapped = wrap_adapters([court, police], settings, {Agency.COURT: 5.0}, cache, metrics=metrics)

    for _ in range(3):
        await wrapped[0].fetch_records(PERSON)
        with pytest.raises(UpstreamUnavailable):
            await wrapped[1].fetch_records(PERSON)

    assert all(isinstance(adapter, CachingAdapter) for adapter in wrapped)
    assert [adapter.agency for adapter in wrapped] == [Agency.COURT, Agency.POLICE]
    assert len(court.calls) == 1
    assert len(police.calls) == 2
    assert sample(metrics, "hub_cache_lookups_total", agency="court", result="hit") == 2
    assert sample(metrics, "hub_breaker_state", agency="police") == 2
    assert sample(metrics, "hub_upstream_rejections_total", agency="police", reason="circuit_open") == 1
    assert sample(metrics, "hub_upstream_call_seconds_count", agency="court", outcome="ok") == 1


async def test_wrapped_timeout_is_logged_counted_and_named(caplog: pytest.LogCaptureFixture) -> None:
    settings = PerfSettings()
    metrics = fresh_metrics()
    cache = build_record_cache(settings, is_cacheable=always_cacheable, metrics=metrics)
    court = StandInAdapter(Agency.COURT, delay_s=1.0)
    [wrapped] = wrap_adapters([court], settings, {Agency.COURT: 0.2}, cache, metrics=metrics)

    with caplog.at_level(logging.INFO, logger="hub.metrics"), pytest.raises(UpstreamTimeout) as timed_out:
        await wrapped.fetch_records(PERSON)

    # The call gave up at 0.18 s, but the message names the 0.2 s of the settings.
    assert timed_out.value.render() == "法院系统在 0.2 秒内未响应。"
    assert timed_out.value.bilingual().endswith("[fetch_records]")
    assert sample(metrics, "hub_upstream_errors_total", agency="court", code="UPSTREAM_TIMEOUT") == 1
    assert sample(metrics, "hub_breaker_state", agency="court") == 0
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("upstream agency=court")]
    assert "outcome=error code=UPSTREAM_TIMEOUT" in line


def test_resilient_timeout_ends_before_the_lookup_gives_up() -> None:
    assert resilient_timeout(3.0) == pytest.approx(2.9)
    assert resilient_timeout(0.2) == pytest.approx(0.18)


def test_perf_settings_read_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_CACHE_TTL_COURT_S", "42")
    monkeypatch.setenv("HUB_MAX_CONCURRENT_POLICE", "7")
    monkeypatch.setenv("HUB_CACHE_KEY_SECRET", "s3cret")

    settings = PerfSettings()

    assert settings.cache_ttls()[Agency.COURT] == 42
    assert settings.concurrency_limits()[Agency.POLICE] == 7
    assert settings.key_secret() == b"s3cret"
    assert "s3cret" not in repr(settings)
