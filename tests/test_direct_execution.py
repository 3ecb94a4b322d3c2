"""``DirectExecution`` responds to every request exactly as strawberry's ``Schema.execute`` does.

Each request is sent twice to one hub: once with the direct path on, once with it off, so
that strawberry's ``execute`` and the hub's extensions serve it. The responses must be the
same, errors and their order included. The police stand-in fails, so every lookup carries a
partial error. The fields that change from call to call (``fetchedAt``, ``latencyMs``) are
not asked for.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from adapters.errors import UpstreamUnavailable
from adapters.records import Agency
from hub.app import create_app
from hub.auth import Role
from hub.notices.config import NoticeSettings
from hub.settings import Settings
from schema import build_schema
from schema.direct import DirectExecution, chosen_operation
from schema.errors import HubSchema
from schema.one_field import OneField
from schema.query import PriorRecords
from tests.perf.fakes import fresh_metrics
from tests.security.gql_support import JUVENILE_ID, JuvenileCourt, JuvenilePrison
from tests.standins import ID_NUMBER, failing, standins
from tests.tokens import bearer

CASE = "（2026）川3401刑初5号"
LOOKUP = """query($id: String!, $case: String, $purpose: Purpose = TRIAL) {
  priorRecords(idNumber: $id, purpose: $purpose, caseNumber: $case) {
    idNumber person { name idNumber otherNames }
    criminalRecords { caseNumber { canonical } courtName charges { name article } effectiveDate }
    caseInformation { judgments { caseNumber { canonical } } policeCases { policeCaseNumber status }
      custody { prisonName releasedOn } corrections { correctionType status } }
    sources { agency status fromCache error { code message } } } }"""

REQUESTS: dict[str, dict[str, Any]] = {
    "typename": {"query": "{ __typename }"},
    "lookup": {"query": LOOKUP, "variables": {"id": ID_NUMBER, "case": CASE}},
    "lookup of a sealed record": {"query": LOOKUP, "variables": {"id": JUVENILE_ID, "case": CASE}},
    "lookup of nobody": {"query": LOOKUP, "variables": {"id": "11010519491231002X", "case": CASE}},
    "lookup without its case number": {"query": LOOKUP, "variables": {"id": ID_NUMBER}},
    "invalid ID number": {"query": LOOKUP, "variables": {"id": "51340119850612031X", "case": CASE}},
    "variable of the wrong type": {"query": LOOKUP, "variables": {"id": 5, "case": CASE}},
    "missing variable": {"query": LOOKUP, "variables": {"case": CASE}},
    "misspelt enum variable": {
        "query": LOOKUP,
        "variables": {"id": ID_NUMBER, "case": CASE, "purpose": "TRAIL"},
    },
    "batch with an invalid number": {
        "query": "query($ids: [String!]!) { priorRecordsBatch(idNumbers: $ids, purpose: TRIAL,"
        ' caseNumber: "（2026）川3401刑初5号") { idNumber sources { agency error { code } } } }',
        "variables": {"ids": [ID_NUMBER, "123", JUVENILE_ID]},
    },
    "aliases and a fragment": {
        "query": 'query { a: __typename ...F b: priorRecords(idNumber: "513401198506120315",'
        ' purpose: TRIAL, caseNumber: "（2026）川3401刑初5号") { ...P } }'
        " fragment F on Query { c: __typename } fragment P on PriorRecords { idNumber person { name } }",
    },
    "named operation among two": {
        "query": "query A { __typename } query B { x: __typename }",
        "operationName": "B",
    },
    "first of two operations": {"query": "query A { __typename } query B { x: __typename }"},
    "unknown operation name": {"query": "query A { __typename }", "operationName": "B"},
    "mutation": {"query": "mutation { __typename }"},
    "validation error": {"query": "{ priorRecordz { idNumber } }"},
    "parse error": {"query": "{ priorRecords("},
    "directive": {"query": "query($s: Boolean!) { __typename @skip(if: $s) }", "variables": {"s": True}},
    "operation extensions": {"query": "{ __typename }", "extensions": {"persistedQuery": {}}},
}
# Requests the direct path must serve itself; the rest it may hand to strawberry.
DIRECT = {
    "typename",
    "lookup",
    "lookup of a sealed record",
    "lookup of nobody",
    "lookup without its case number",
    "invalid ID number",
    "variable of the wrong type",
    "missing variable",
    "misspelt enum variable",
    "batch with an invalid number",
    "aliases and a fragment",
    "named operation among two",
    "first of two operations",
    "mutation",
    "directive",
}


@pytest.fixture
async def client() -> AsyncIterator[tuple[httpx.AsyncClient, HubSchema]]:
    police = failing(Agency.POLICE, UpstreamUnavailable(agency="police", operation="lookup"))
    agencies = standins(
        police=police, court=JuvenileCourt(Agency.COURT), prison=JuvenilePrison(Agency.PRISON)
    )
    app = create_app(
        Settings(),
        adapters=agencies,
        notice_settings=NoticeSettings(auto_migrate=True),
        metrics=fresh_metrics(),
    )
    async with app.router.lifespan_context(app):
        graphql = next(route.endpoint for route in app.routes if getattr(route, "path", "") == "/graphql")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub") as http:
            yield http, graphql.schema


async def respond(http: httpx.AsyncClient, request: dict[str, Any], language: str) -> tuple[int, Any]:
    headers = {**bearer(Role.JUDGE), "accept-language": language, "content-type": "application/json"}
    response = await http.post("/graphql", content=json.dumps(request), headers=headers)
    return response.status_code, response.json()


@pytest.mark.parametrize("name", REQUESTS)
@pytest.mark.parametrize("language", ["zh-CN", "en"])
async def test_direct_path_matches_strawberry(
    client: tuple[httpx.AsyncClient, HubSchema], name: str, language: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    http, schema = client
    direct = schema.direct
    assert direct is not None
    served: list[bool] = []
    execute = direct.execute

    async def recorded(*args: Any) -> Any:
        result = await execute(*args)
        served.append(result is not None)
        return result

    monkeypatch.setattr(direct, "execute", recorded)
    own = await respond(http, REQUESTS[name], language)
    monkeypatch.setattr(schema, "direct", None)
    strawberry = await respond(http, REQUESTS[name], language)

    assert own == strawberry
    if name in DIRECT:
        assert served == [True]
    else:
        assert True not in served


async def test_partial_errors_come_through(client: tuple[httpx.AsyncClient, HubSchema]) -> None:
    http, _ = client

    status, answer = await respond(http, REQUESTS["lookup"], "en")

    assert status == 200
    assert [error["extensions"]["code"] for error in answer["errors"]] == ["UPSTREAM_UNAVAILABLE"]
    assert answer["data"]["priorRecords"]["idNumber"] == ID_NUMBER


async def test_production_hides_suggestions_on_both_paths() -> None:
    schema = build_schema(production=True)
    assert isinstance(schema.direct, DirectExecution)
    request = REQUESTS["misspelt enum variable"]
    answers = []
    for direct in (schema.direct, None):
        schema.direct = direct
        context = SimpleNamespace(language="en", partial_errors=[])
        result = await schema.execute(request["query"], request["variables"], context)
        answers.append((result.data, [error.formatted for error in result.errors or []]))

    assert answers[0] == answers[1]
    assert answers[0][1]
    assert not any("Did you mean" in error["message"] for error in answers[0][1])


def test_traced_schema_keeps_strawberry_path() -> None:
    assert build_schema(production=False, traced=True).direct is None
    assert build_schema(production=False).direct is not None


@pytest.mark.parametrize(
    ("name", "chosen"),
    [(None, "A"), ("B", "B"), ("C", None)],
)
def test_chosen_operation(name: str | None, chosen: str | None) -> None:
    from graphql import parse

    document = parse("query A { __typename } query B { __typename } fragment F on Query { __typename }")

    operation = chosen_operation(document, name)

    assert (operation.name.value if operation and operation.name else None) == chosen


async def test_execution_failure_reveals_no_detail(
    client: tuple[httpx.AsyncClient, HubSchema], monkeypatch: pytest.MonkeyPatch
) -> None:
    http, schema = client
    direct = schema.direct
    assert direct is not None

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("internal detail /srv/secret")

    monkeypatch.setattr(direct, "_execute", broken)
    status, answer = await respond(http, REQUESTS["typename"], "en")

    assert status == 200
    assert answer["data"] is None
    assert answer["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "secret" not in json.dumps(answer)


async def test_unplanned_value_replays_without_second_lookup(
    client: tuple[httpx.AsyncClient, HubSchema], monkeypatch: pytest.MonkeyPatch
) -> None:
    http, schema = client
    lookups: list[object] = []
    from_view = PriorRecords.from_view

    def without_number(view: Any, language: str) -> PriorRecords:
        lookups.append(view)
        answer = from_view(view, language)
        answer.id_number = None  # type: ignore[assignment] # a null in a non-null field: the plan gives up
        return answer

    monkeypatch.setattr(PriorRecords, "from_view", staticmethod(without_number))
    own = await respond(http, REQUESTS["lookup"], "en")
    monkeypatch.setattr(schema, "direct", None)
    strawberry = await respond(http, REQUESTS["lookup"], "en")

    assert own == strawberry
    assert len(lookups) == 2  # one resolver call for each path, none for the replay
    paths = {tuple(error["path"]): error["extensions"]["code"] for error in own[1]["errors"]}
    assert paths[("priorRecords", "idNumber")] == "INTERNAL_SERVER_ERROR"
    assert own[1]["data"] == {"priorRecords": None}


def test_one_field_shapes() -> None:
    from graphql import parse

    graphql_schema = build_schema(production=False)._schema
    shapes = {
        'query { priorRecords(idNumber: "x", purpose: TRIAL) { idNumber } }': True,
        'query { a: priorRecords(idNumber: "x", purpose: TRIAL) { idNumber } }': True,
        "query { __typename }": False,
        "query { a: __typename b: __typename }": False,
        "query { ...F } fragment F on Query { __typename }": False,
        'query @skip(if: false) { priorRecords(idNumber: "x", purpose: TRIAL) { idNumber } }': False,
        "mutation { __typename }": False,
    }
    for text, single in shapes.items():
        operation = chosen_operation(parse(text), None)
        assert operation is not None
        assert (OneField.of(graphql_schema, operation) is not None) is single, text


async def test_strawberry_path_failure_reveals_no_detail(
    client: tuple[httpx.AsyncClient, HubSchema], monkeypatch: pytest.MonkeyPatch
) -> None:
    http, schema = client

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("internal detail /srv/secret")

    monkeypatch.setattr(schema, "direct", None)
    monkeypatch.setattr(schema, "_get_execute_function", lambda: broken)
    status, answer = await respond(http, REQUESTS["typename"], "zh-CN")

    assert status == 200
    assert answer["data"] is None
    assert answer["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "secret" not in json.dumps(answer)
