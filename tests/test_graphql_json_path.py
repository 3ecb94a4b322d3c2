"""``HubGraphQL._run_json`` responds to a POSTed JSON body exactly as strawberry's ``run`` does.

The hub serves its usual request (POST, ``application/json``, a JSON response) on a shorter
path of its own. Each request below is sent once on that path and once with the path
switched off, so strawberry's ``run`` serves it, and the two responses must be the same.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from starlette.requests import Request

from hub import auth_middleware
from hub.auth import Role
from tests.security.gql_support import Hub, started_hub
from tests.standins import ID_NUMBER
from tests.tokens import bearer


def body(**fields: Any) -> bytes:
    return json.dumps(fields).encode()


BODIES = {
    "typename": body(query="{ __typename }"),
    "lookup": body(
        query="query($id: String!, $case: String) { priorRecords(idNumber: $id, purpose: TRIAL,"
        " caseNumber: $case) { idNumber person { name } } }",
        variables={"id": ID_NUMBER, "case": "（2026）川3401刑初5号"},
    ),
    "lookup refused": body(
        query="query($id: String!) { priorRecords(idNumber: $id, purpose: TRIAL) { idNumber } }",
        variables={"id": ID_NUMBER},
    ),
    "query not a string": body(query=5),
    "variables a list": body(query="{ __typename }", variables=[1]),
    "extensions a string": body(query="{ __typename }", extensions="x"),
    "no query": body(variables={}),
    "two operations, no name": body(query="query A { __typename } query B { __typename }"),
    "unknown operation name": body(query="query A { __typename }", operationName="B"),
    "mutation": body(query="mutation { __typename }"),
    "subscription without a stream": body(query="subscription { noticeChanged { id } }"),
    "unknown field": body(query="{ priorRecordz { idNumber } }"),
    "parse error": body(query="{ priorRecords("),
    "not JSON": b"{not json",
    "a batch": b'[{"query": "{ __typename }"}]',
    "a JSON string": b'"{ __typename }"',
    "not UTF-8": b'{"query": "\xff"}',
}


@pytest.fixture
async def hub() -> AsyncIterator[Hub]:
    async with started_hub() as started:
        yield started


async def answer(hub: Hub, content: bytes, language: str) -> tuple[int, str, Any]:
    headers = {**bearer(Role.JUDGE), "content-type": "application/json", "accept-language": language}
    response = await hub.client.post("/graphql", content=content, headers=headers)
    return response.status_code, response.headers["content-type"], response.json()


@pytest.mark.parametrize("content", BODIES.values(), ids=BODIES.keys())
@pytest.mark.parametrize("language", ["zh-CN", "en"])
async def test_json_path_responds_as_strawberry(
    hub: Hub, content: bytes, language: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    used: list[bool] = []
    plain = auth_middleware._plain_json_post

    def recorded(request: Any) -> bool:
        used.append(plain(request))
        return used[-1]

    monkeypatch.setattr(auth_middleware, "_plain_json_post", recorded)
    own = await answer(hub, content, language)
    monkeypatch.setattr(auth_middleware, "_plain_json_post", lambda request: False)
    strawberry = await answer(hub, content, language)

    assert used == [True]
    assert own == strawberry


@pytest.mark.parametrize("method", ["GET", "HEAD"])
async def test_get_or_head_json_body_rejected(hub: Hub, method: str) -> None:
    # No token: only a POST passes the token check, so only a POST may run an operation.
    response = await hub.client.request(
        method, "/graphql", content=body(query="{ __typename }"), headers={"content-type": "application/json"}
    )

    answered_json = response.headers.get("content-type", "").startswith("application/json")
    assert response.status_code in (200, 400, 405)  # 200: the GraphiQL page of development
    assert not answered_json or "data" not in response.json()
    assert b'"__typename":"Query"' not in response.content


@pytest.mark.parametrize(
    ("content_type", "accept", "used"),
    [
        ("application/json", "", True),
        ("application/json; charset=utf-8", "application/json", True),
        ("Application/JSON", "*/*", True),
        ("application/json", "multipart/mixed;subscriptionSpec=1.0,application/json", False),
        ("application/json", "text/event-stream", False),
        ("application/graphql-response+json", "", False),
        ("multipart/form-data; boundary=x", "", False),
        ("text/plain", "", False),
    ],
)
def test_plain_json_posts_take_path(content_type: str, accept: str, used: bool) -> None:
    headers = [(b"content-type", content_type.encode())]
    if accept:
        headers.append((b"accept", accept.encode()))
    request = Request({"type": "http", "method": "POST", "headers": headers})

    assert auth_middleware._plain_json_post(request) is used


@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT"])
def test_other_methods_skip_json_path(method: str) -> None:
    request = Request({"type": "http", "method": method, "headers": [(b"content-type", b"application/json")]})

    assert auth_middleware._plain_json_post(request) is False


async def test_get_json_body_advises_post(hub: Hub) -> None:
    response = await hub.client.request(
        "GET",
        "/graphql",
        content=body(query="{ __typename }"),
        headers={"content-type": "application/json", "accept-language": "en"},
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert "not accepted over GET" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    "data",
    [
        {"data": {"name": "吉克阿呷", "note": "tab\there\x01", "n": 12, "ms": 80.3, "ok": True, "x": None}},
        {"big": 2**70},  # past orjson's 64 bits: the standard library encodes it
        [1, "\u2028", {"nested": [0.5, -3]}],
    ],
    ids=["ordinary", "big integer", "line separator"],
)
def test_encode_json_matches_standard_library(data: object) -> None:
    expected = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

    assert auth_middleware.encode_json(data) == expected


async def test_nan_body_still_decodes(hub: Hub) -> None:
    # Python's parser accepts NaN where orjson does not; the variable then fails as a String.
    content = b'{"query": "query($v: String) { __typename }", "variables": {"v": NaN}}'
    headers = {**bearer(Role.JUDGE), "content-type": "application/json", "accept-language": "en"}

    response = await hub.client.post("/graphql", content=content, headers=headers)

    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


@pytest.mark.parametrize(
    "number", ["123456789012345678901234567890", "-9223372036854775809", "18446744073709551616"]
)
async def test_long_integer_keeps_every_digit(hub: Hub, number: str) -> None:
    # A number where a String is expected: graphql-core quotes the value it received.
    query = "query($v: String!) { priorRecords(idNumber: $v, purpose: TRIAL) { idNumber } }"
    content = f'{{"query": "{query}", "variables": {{"v": {number}}}}}'.encode()
    headers = {**bearer(Role.JUDGE), "content-type": "application/json", "accept-language": "en"}

    response = await hub.client.post("/graphql", content=content, headers=headers)

    message = response.json()["errors"][0]["message"]
    assert number in message
