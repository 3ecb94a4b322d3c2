"""Parse, validation and request-body errors through the app: zh-CN by default, English on
``Accept-Language: en``, and the same ``extensions.code`` in both."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from graphql import GraphQLError

from hub.auth import Role
from hub.settings import Settings
from schema.build import MAX_ALIASES, MAX_DEPTH, MAX_FRAGMENT_NESTING, MAX_TOKENS
from schema.errors import client_error
from tests.security.gql_support import Hub, started_hub
from tests.tokens import bearer, production_auth

CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH = {"Accept-Language": "en"}
MAX_BODY_BYTES = Settings().max_body_bytes


def deep_query() -> str:
    inner = "idNumber"
    for _ in range(MAX_DEPTH + 2):
        inner = f"person {{ {inner} }}"
    return f'{{ priorRecords(idNumber: "1", purpose: TRIAL) {{ {inner} }} }}'


def fragment_chain(links: int) -> str:
    """A query spreading F0, which spreads F1, and so on: ``links`` fragments in one chain."""
    chain = " ".join(f"fragment F{n} on Query {{ ...F{n + 1} }}" for n in range(links - 1))
    return f"{{ ...F0 }} {chain} fragment F{links - 1} on Query {{ __typename }}"


@dataclass
class Case:
    """A request, the error it must produce, and the names its messages must quote."""

    body: bytes
    code: str
    names: tuple[str, ...] = ()
    english: str = ""  # a part of the English message
    content_type: str = "application/json"
    status: int = 200


def graphql_case(query: str, code: str, names: tuple[str, ...], english: str, **variables: Any) -> Case:
    body = json.dumps({"query": query, "variables": variables}).encode()
    return Case(body, code, names, english)


VALIDATION = "GRAPHQL_VALIDATION_FAILED"
PARSE = "GRAPHQL_PARSE_FAILED"
LOOKUP_BY_VARIABLE = "query($id: String!) { priorRecords(idNumber: $id, purpose: TRIAL) { idNumber } }"

CASES = {
    "unknown field": graphql_case(
        "{ priorRecordz { idNumber } }", VALIDATION, ("priorRecordz", "Query"), "Cannot query field"
    ),
    "unknown nested field": graphql_case(
        '{ priorRecords(idNumber: "1", purpose: TRIAL) { idNumbr } }',
        VALIDATION,
        ("idNumbr", "PriorRecords"),
        "Cannot query field",
    ),
    "unknown argument": graphql_case(
        '{ priorRecords(idNumber: "1", purpose: TRIAL, reason: "x") { idNumber } }',
        VALIDATION,
        ("reason", "Query.priorRecords"),
        "Unknown argument",
    ),
    "missing required argument": graphql_case(
        '{ priorRecords(idNumber: "1") { idNumber } }',
        VALIDATION,
        ("purpose", "Query.priorRecords", "Purpose!"),
        "is required, but it was not provided",
    ),
    "variable value of the wrong type": graphql_case(
        LOOKUP_BY_VARIABLE, VALIDATION, ("$id",), "has invalid value", id=513401198506120315
    ),
    "variable declared with the wrong type": graphql_case(
        LOOKUP_BY_VARIABLE.replace("String!", "Int!"),
        VALIDATION,
        ("$id", "Int!", "String!"),
        "used in position expecting type",
    ),
    "literal of the wrong type": graphql_case(
        "{ priorRecords(idNumber: 513401198506120315, purpose: TRIAL) { idNumber } }",
        VALIDATION,
        ("idNumber", "String"),
        "String cannot represent a non string value",
    ),
    "unknown enum value": graphql_case(
        '{ priorRecords(idNumber: "1", purpose: HEARING) { idNumber } }',
        VALIDATION,
        ("purpose", "HEARING", "Purpose"),
        "does not exist in 'Purpose' enum",
    ),
    "syntax error": graphql_case("{ priorRecords(", PARSE, ("第 1 行第 16 列",), "Syntax Error"),
    "depth over the limit": graphql_case(
        deep_query(), VALIDATION, (str(MAX_DEPTH),), "exceeds maximum operation depth"
    ),
    "too many aliases": graphql_case(
        "{ " + " ".join(f"a{n}: __typename" for n in range(MAX_ALIASES + 1)) + " }",
        VALIDATION,
        (str(MAX_ALIASES + 1), str(MAX_ALIASES)),
        "aliases found",
    ),
    "too many tokens": graphql_case(
        "{ " + " ".join("__typename" for _ in range(MAX_TOKENS + 1)) + " }",
        PARSE,
        (str(MAX_TOKENS),),
        "tokens",
    ),
    "undefined fragment": graphql_case("{ ...Missing }", VALIDATION, ("Missing",), "Unknown fragment"),
    "fragment cycle": graphql_case(
        "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }",
        VALIDATION,
        ("A",),
        "Cannot spread fragment",
    ),
    "fragment chain over the limit": graphql_case(
        fragment_chain(MAX_FRAGMENT_NESTING + 1),
        VALIDATION,
        (str(MAX_FRAGMENT_NESTING + 1), str(MAX_FRAGMENT_NESTING)),
        "Fragment spreads are nested",
    ),
    "non-JSON body": Case(b"not json", "BAD_REQUEST", english="not valid JSON", status=400),
    "non-UTF-8 body": Case(b'{"query": "\xe9"}', "BAD_REQUEST", english="UTF-8", status=400),
    "JSON array body": Case(
        b'[{"query": "{ __typename }"}]', "BAD_REQUEST", english="Batched requests", status=400
    ),
    "JSON string body": Case(b'"{ __typename }"', "BAD_REQUEST", english="must be a JSON object", status=400),
    "body without query": Case(b"{}", "BAD_REQUEST", ("query",), "No GraphQL query", status=400),
    "variables not an object": Case(
        b'{"query": "{ __typename }", "variables": "x"}',
        "BAD_REQUEST",
        ("variables",),
        "variables field must be",
        status=400,
    ),
    "unknown operationName": Case(
        b'{"query": "query Lookup { __typename }", "operationName": "Search"}',
        "BAD_REQUEST",
        ("Search",),
        "no operation named",
        status=400,
    ),
    "unsupported content type": Case(
        b'{"query": "{ __typename }"}',
        "BAD_REQUEST",
        english="content type",
        content_type="text/plain",
        status=400,
    ),
    "body over the size limit": Case(
        b'{"query": "{ __typename }", "padding": "' + b"x" * MAX_BODY_BYTES + b'"}',
        "PAYLOAD_TOO_LARGE",
        (str(MAX_BODY_BYTES),),
        "exceeds the limit",
        status=413,
    ),
}


@pytest.fixture
async def hub() -> AsyncIterator[Hub]:
    async with started_hub() as started:
        yield started


@pytest.fixture
async def production_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Hub]:
    # A store of its own, because started_hub seeds the same notices into every store it opens.
    monkeypatch.setenv("HUB_STORE_URL", f"sqlite+aiosqlite:///{tmp_path / 'production.sqlite'}")
    async with started_hub(settings={"env": "production", **production_auth(tmp_path)}) as started:
        yield started


async def post(hub: Hub, case: Case, language: dict[str, str]) -> tuple[int, dict[str, Any]]:
    headers = {**bearer(Role.JUDGE), "content-type": case.content_type, **language}
    response = await hub.client.post("/graphql", content=case.body, headers=headers)
    body: dict[str, Any] = response.json()
    return response.status_code, body


async def first_errors(hub: Hub, case: Case) -> tuple[dict[str, Any], dict[str, Any]]:
    """Send the case in the default language and in English; return the first error of each."""
    zh_status, zh = await post(hub, case, {})
    en_status, en = await post(hub, case, ENGLISH)
    assert (zh_status, en_status) == (case.status, case.status)
    assert "data" not in zh or zh["data"] is None
    return zh["errors"][0], en["errors"][0]


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
async def test_error_localised_with_stable_code(hub: Hub, case: Case) -> None:
    zh, en = await first_errors(hub, case)

    assert zh["extensions"]["code"] == en["extensions"]["code"] == case.code
    assert CJK.search(zh["message"]), zh["message"]
    assert not CJK.search(en["message"]), en["message"]
    assert case.english in en["message"]
    for name in case.names:
        assert name in zh["message"], (name, zh["message"])


async def test_fragment_chain_within_limit_runs(hub: Hub) -> None:
    case = graphql_case(fragment_chain(MAX_FRAGMENT_NESTING), VALIDATION, (), "")

    status, body = await post(hub, case, {})

    assert status == 200
    assert body == {"data": {"__typename": "Query"}}


async def test_every_error_of_a_request_is_localised(hub: Hub) -> None:
    case = CASES["depth over the limit"]  # the depth error comes with an unknown-field error

    _, zh = await post(hub, case, {})
    _, en = await post(hub, case, ENGLISH)

    assert len(zh["errors"]) == len(en["errors"]) > 1
    for zh_error, en_error in zip(zh["errors"], en["errors"], strict=True):
        assert zh_error["extensions"] == en_error["extensions"]
        assert zh_error.get("locations") == en_error.get("locations")
        assert CJK.search(zh_error["message"])
        assert not CJK.search(en_error["message"])


async def test_development_suggests_names_in_both_languages(hub: Hub) -> None:
    case = graphql_case("{ priorRecord { idNumber } }", VALIDATION, (), "")

    zh, en = await first_errors(hub, case)

    assert "可能是指：priorRecords" in zh["message"]
    assert "Did you mean 'priorRecords'?" in en["message"]


@pytest.mark.parametrize(
    ("query", "suggestion", "english_hint"),
    [
        ("{ priorRecord { idNumber } }", "priorRecords", "Did you mean 'priorRecords'?"),
        (
            '{ priorRecords(idNumber: "1", purpose: TRIAL, purposes: TRIAL) { idNumber } }',
            "purpose",
            "Did you mean 'purpose'?",
        ),
        (
            '{ priorRecords(idNumber: "1", purpose: TRIALS) { idNumber } }',
            "TRIAL",
            "Did you mean the enum value 'TRIAL'?",
        ),
    ],
    ids=["field", "argument", "enum value"],
)
async def test_production_hides_suggestions_in_both_languages(
    hub: Hub, production_hub: Hub, query: str, suggestion: str, english_hint: str
) -> None:
    case = graphql_case(query, VALIDATION, (), "")
    development_zh, development_en = await first_errors(hub, case)
    zh, en = await first_errors(production_hub, case)

    # Development names the suggestion, so its absence in production is the masking at work.
    assert f"可能是指：{suggestion}" in development_zh["message"]
    assert english_hint in development_en["message"]
    assert zh["extensions"]["code"] == en["extensions"]["code"] == VALIDATION
    assert CJK.search(zh["message"])
    assert not CJK.search(en["message"])
    assert "可能是指" not in zh["message"]
    assert "Did you mean" not in en["message"]
    assert f"'{suggestion}'" not in en["message"]


async def test_production_introspection_is_refused_in_both_languages(production_hub: Hub) -> None:
    case = graphql_case("{ __schema { queryType { name } } }", VALIDATION, ("__schema",), "introspection")

    zh, en = await first_errors(production_hub, case)

    assert zh["extensions"]["code"] == en["extensions"]["code"] == VALIDATION
    assert "内省" in zh["message"]
    assert "__schema" in zh["message"]
    assert "introspection has been disabled" in en["message"]


def test_unrecognised_message_gets_generic_chinese_and_keeps_english() -> None:
    error = GraphQLError("Selection 'lookupNotes' is not allowed here yet.")

    zh = client_error(error, "zh")
    en = client_error(error, "en")

    assert zh.extensions == en.extensions == {"code": VALIDATION}
    assert CJK.search(zh.message)
    assert "lookupNotes" in zh.message
    assert "Accept-Language: en" in zh.message
    assert en.message == "Selection 'lookupNotes' is not allowed here yet."


@pytest.mark.parametrize(
    "query",
    ["subscription { noticeChanged { id } }", "{ __typename }", "mutation { __typename }"],
)
async def test_operations_over_get_are_refused_before_running(hub: Hub, query: str) -> None:
    accept = "multipart/mixed;subscriptionSpec=1.0,application/json"
    zh = await hub.client.get("/graphql", params={"query": query}, headers={"accept": accept})
    en = await hub.client.get("/graphql", params={"query": query}, headers={"accept": accept, **ENGLISH})

    for response in (zh, en):
        assert response.status_code == 400
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
        assert "data" not in response.json()
    assert "WebSocket" in zh.json()["errors"][0]["message"]
    assert CJK.search(zh.json()["errors"][0]["message"])
    assert "not accepted over GET" in en.json()["errors"][0]["message"]


async def test_get_without_an_operation_still_serves_graphiql(hub: Hub) -> None:
    response = await hub.client.get("/graphql", headers={"accept": "text/html"})

    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_chinese_text_arrives_as_utf8_not_escapes(hub: Hub) -> None:
    response = await hub.client.post(
        "/graphql",
        content=CASES["unknown field"].body,
        headers={**bearer(Role.JUDGE), "content-type": "application/json"},
    )

    assert CJK.search(response.text)
    assert "\\u" not in response.text
