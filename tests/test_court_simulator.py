"""The court stand-in as a legacy client sees it: raw HTTP, raw bytes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tests.court_support import KUN, OLD_HUILI, ServerThread, court_stand_in, sample_dataset

ENVELOPE = (
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" '
    'xmlns:tns="http://court.lsz.example/ws"><soap:Body>{}</soap:Body></soap:Envelope>'
)


@pytest.fixture
def court(tmp_path: Path) -> Iterator[ServerThread]:
    with court_stand_in(tmp_path, sample_dataset()) as server:
        yield server


@pytest.fixture
async def http(court: ServerThread) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=court.url) as client:
        yield client


async def soap(http: httpx.AsyncClient, operation: str) -> httpx.Response:
    return await http.post("/ws/court", content=ENVELOPE.format(operation).encode("utf-8"))


async def test_wsdl_address_is_serving_url(http: httpx.AsyncClient, court: ServerThread) -> None:
    response = await http.get("/ws/court?wsdl")

    assert f'location="{court.url}/ws/court"' in response.text


async def test_id_query_gbk_header_charset_only(
    http: httpx.AsyncClient,
) -> None:
    response = await soap(
        http, f"<tns:queryPjxxBySfzh><tns:sfzh>{KUN.id_number}</tns:sfzh></tns:queryPjxxBySfzh>"
    )

    assert response.headers["content-type"] == "text/xml; charset=GBK"
    assert not response.content.startswith(b"<?xml")
    assert "堃".encode("gbk") in response.content


async def test_id_query_escapes_xml_in_return(http: httpx.AsyncClient) -> None:
    response = await soap(
        http, f"<tns:queryPjxxBySfzh><tns:sfzh>{KUN.id_number}</tns:sfzh></tns:queryPjxxBySfzh>"
    )

    assert b'&lt;?xml version="1.0" encoding="GBK"?&gt;&lt;AJXX&gt;' in response.content


async def test_id_query_accepts_15_digits(http: httpx.AsyncClient) -> None:
    legacy = OLD_HUILI.id_number[:6] + OLD_HUILI.id_number[8:17]
    response = await soap(http, f"<tns:queryPjxxBySfzh><tns:sfzh>{legacy}</tns:sfzh></tns:queryPjxxBySfzh>")

    assert "西法刑初字第291号".encode("gbk") in response.content


async def test_unknown_case_is_chinese_fault(http: httpx.AsyncClient) -> None:
    response = await soap(http, "<tns:getAjxxByAh><tns:ah>（2024）川3401刑初999号</tns:ah></tns:getAjxxByAh>")

    assert response.status_code == 500
    assert "<faultstring>未找到案号为（2024）川3401刑初999号的案件</faultstring>" in response.text


@pytest.mark.parametrize(
    "body",
    [
        b"not xml",
        b"<a/>",
        ENVELOPE.format("").encode(),
        ENVELOPE.format("<tns:deleteAll/>").encode(),
        ENVELOPE.format("<tns:queryPjxxBySfzh><tns:sfzh>123</tns:sfzh></tns:queryPjxxBySfzh>").encode(),
        ENVELOPE.format(
            "<tns:listPjbgAfterXh><tns:xh>a</tns:xh><tns:ts>1</tns:ts></tns:listPjbgAfterXh>"
        ).encode(),
        b'<!DOCTYPE a [<!ENTITY e "x">]>' + ENVELOPE.format("<tns:getFwzt/>").encode(),
    ],
    ids=["not-xml", "no-envelope", "empty-body", "unknown-operation", "short-id", "bad-sequence", "dtd"],
)
async def test_malformed_request_is_client_fault(http: httpx.AsyncClient, body: bytes) -> None:
    response = await http.post("/ws/court", content=body)

    assert response.status_code == 500
    assert "<faultcode>soap:Client</faultcode>" in response.text


async def test_admin_config_changes_at_run_time(http: httpx.AsyncClient) -> None:
    await http.post("/admin/config", json={"latency_ms": 25, "failure_rate": 0.5})

    config = (await http.get("/admin/config")).json()

    assert (config["latency_ms"], config["failure_rate"]) == (25, 0.5)


async def test_admin_config_rejects_remote_target(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/admin/config", json={"hostile": "external_entity", "hostile_target": "http://example.invalid/x"}
    )

    assert response.status_code == 400


async def test_admin_judgment_missing_field_rejected(http: httpx.AsyncClient) -> None:
    response = await http.post("/admin/judgments", json={"person": {"name": "某"}})

    assert response.status_code == 400


async def test_failure_rate_one_fails_calls(http: httpx.AsyncClient) -> None:
    await http.post("/admin/config", json={"failure_rate": 1.0})

    response = await soap(http, "<tns:getFwzt/>")

    assert response.status_code == 500
