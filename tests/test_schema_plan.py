"""Planned completion returns what graphql-core returns, and leaves to it what it must.

Each query runs twice on the same small schema: once with ``PlannedExecutionContext`` and
once with strawberry's own execution context. The results, errors included, must match.
"""

from __future__ import annotations

import datetime as dt
import functools
from enum import Enum
from typing import Any

import pytest
import strawberry
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema import plan
from schema.build import DocumentLimits
from schema.plan import PlannedExecutionContext


@strawberry.enum
class Status(Enum):
    OK = "ok"
    FAILED = "failed"


@strawberry.type
class Charge:
    name: str
    article: str | None


@strawberry.type
class Record:
    case_number: str
    status: Status
    decided_on: dt.date
    charges: list[Charge]
    months: int | None = None

    @strawberry.field
    def shouted(self) -> str:
        return self.case_number.upper()


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Unit(Named):
    code: str


@strawberry.type
class Answer:
    id_number: str
    records: list[Record]
    first: Record | None
    tags: list[str | None]
    unit: Named


def record(case_number: Any, **changes: Any) -> Record:
    fields: dict[str, Any] = {"status": Status.OK, "decided_on": dt.date(2020, 5, 6), "charges": []}
    return Record(case_number=case_number, **(fields | changes))


def answer(**changes: Any) -> Answer:
    records = [
        record("（2020）川3401刑初1号", charges=[Charge(name="盗窃罪", article="264")]),
        record("（2021）川3401刑初2号", status=Status.FAILED, decided_on=dt.date(2021, 1, 2), months=8),
    ]
    fields: dict[str, Any] = {
        "id_number": "513401199001011234",
        "records": records,
        "first": records[0],
        "tags": ["a", None],
        "unit": Unit(name="西昌市人民法院", code="513401"),
    }
    fields.update(changes)
    return Answer(**fields)


CURRENT: dict[str, Answer] = {}


@strawberry.type
class Query:
    @strawberry.field
    def answer(self) -> Answer:
        return CURRENT["answer"]


@functools.cache
def schemas() -> tuple[strawberry.Schema, strawberry.Schema]:
    """The same schema with and without plans, both parsing through the hub's document cache.

    Built once, so that plans are reused from one run to the next, as in the hub.
    """
    planned = strawberry.Schema(
        query=Query,
        types=[Unit],
        extensions=[DocumentLimits],
        execution_context_class=PlannedExecutionContext,
    )
    plain = strawberry.Schema(
        query=Query,
        types=[Unit],
        extensions=[DocumentLimits],
        execution_context_class=StrawberryGraphQLCoreExecutionContext,
    )
    return planned, plain


async def both(query: str, value: Answer, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run ``query`` on both schemas, check that data and errors match, and return the planned result."""
    CURRENT["answer"] = value
    planned, plain = schemas()
    ours = await planned.execute(query, variable_values=variables)
    theirs = await plain.execute(query, variable_values=variables)
    assert ours.data == theirs.data
    assert [error.formatted for error in ours.errors or []] == [
        error.formatted for error in theirs.errors or []
    ]
    return {"data": ours.data, "errors": [error.formatted for error in ours.errors or []]}


PLAIN_QUERY = """{ answer { idNumber tags first { caseNumber status decidedOn months }
  records { caseNumber status decidedOn months charges { name article } } } }"""


async def test_plain_selection_matches_graphql_core() -> None:
    result = await both(PLAIN_QUERY, answer())

    assert result["errors"] == []
    assert result["data"]["answer"]["records"][1] == {
        "caseNumber": "（2021）川3401刑初2号",
        "status": "FAILED",
        "decidedOn": "2021-01-02",
        "months": 8,
        "charges": [],
    }


def core_completions(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the type of each object that graphql-core's own completion handles, in order."""
    calls: list[str] = []
    original = StrawberryGraphQLCoreExecutionContext.complete_object_value

    def counting(self: Any, return_type: Any, *args: Any) -> Any:
        calls.append(return_type.name)
        return original(self, return_type, *args)

    monkeypatch.setattr(StrawberryGraphQLCoreExecutionContext, "complete_object_value", counting)
    return calls


async def test_plain_selection_is_completed_by_a_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    """The plain query never reaches graphql-core's own object completion."""
    calls = core_completions(monkeypatch)
    CURRENT["answer"] = answer()
    planned, _ = schemas()

    result = await planned.execute(PLAIN_QUERY)

    assert result.errors is None
    assert calls == []


async def test_aliases_fragments_and_typename_match() -> None:
    query = """
      fragment R on Record { number: caseNumber ...S }
      fragment S on Record { status __typename }
      { answer { __typename id: idNumber records { ...R ... on Record { decidedOn } } } }
    """
    result = await both(query, answer())

    assert result["data"]["answer"]["records"][0] == {
        "number": "（2020）川3401刑初1号",
        "status": "OK",
        "__typename": "Record",
        "decidedOn": "2020-05-06",
    }


async def test_directives_follow_each_requests_variables() -> None:
    """The same text with another variable value must not reuse a decision baked into a plan.

    The schemas parse through the hub's cache, so every run gets the same syntax tree.
    """
    query = "query($flag: Boolean!) { answer { records { caseNumber months @include(if: $flag) } } }"

    for flag in (True, False, True):
        result = await both(query, answer(), {"flag": flag})

        assert ("months" in result["data"]["answer"]["records"][1]) is flag


async def test_resolver_fields_and_interfaces_keep_graphql_cores_path() -> None:
    query = "{ answer { records { shouted } unit { name ... on Unit { code } } } }"

    result = await both(query, answer())

    assert result["data"]["answer"]["unit"] == {"name": "西昌市人民法院", "code": "513401"}
    assert result["data"]["answer"]["records"][0]["shouted"] == "（2020）川3401刑初1号"


async def test_non_null_field_given_null() -> None:
    broken = answer(records=[record(None)])

    result = await both("{ answer { records { caseNumber } first { caseNumber } } }", broken)

    assert result["data"] is None
    assert "Cannot return null for non-nullable field Record.caseNumber." in result["errors"][0]["message"]


async def test_scalar_rejecting_a_value() -> None:
    broken = answer(first=record("x", months="eight"))

    result = await both("{ answer { idNumber first { months } } }", broken)

    assert result["data"] == {"answer": {"idNumber": "513401199001011234", "first": {"months": None}}}
    assert result["errors"][0]["path"] == ["answer", "first", "months"]


async def test_plans_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plan, "PLAN_CACHE_SIZE", 3)
    CURRENT["answer"] = answer()
    planned, _ = schemas()

    for n in range(6):
        result = await planned.execute(f"{{ answer {{ records {{ n{n}: caseNumber }} }} }}")
        assert result.errors is None

    assert len(plan._PLANS) <= 3


def item_of(source: Any, name: str) -> Any:
    """A default resolver that reads dicts, as a schema configured for dict results would."""
    return source[name] if isinstance(source, dict) else getattr(source, name)


@strawberry.type
class Entry:
    code: str
    count: int | None


@strawberry.type
class DictQuery:
    @strawberry.field
    def entries(self) -> list[Entry]:
        return [{"code": "a", "count": 1}, {"code": 7, "count": None}]  # type: ignore[list-item]


async def test_plans_read_fields_with_the_configured_default_resolver(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A plan reads each field as strawberry would, with the default resolver the schema is given."""
    config = StrawberryConfig(default_resolver=item_of)
    planned = strawberry.Schema(
        query=DictQuery, config=config, execution_context_class=PlannedExecutionContext
    )
    plain = strawberry.Schema(query=DictQuery, config=config)
    calls = core_completions(monkeypatch)
    ours = await planned.execute("{ entries { code count } }")
    theirs = await plain.execute("{ entries { code count } }")

    assert ours.errors is None
    assert ours.data == theirs.data == {"entries": [{"code": "a", "count": 1}, {"code": "7", "count": None}]}
    assert calls.count("Entry") == 2  # only the plain schema: the plan completed both entries
