"""``direct_resolver`` calls a root resolver as strawberry's wrapper would, and only where it may.

A small strawberry schema has one root field of each kind. Resolvers taking ``info``,
``root``, enums, optional and defaulted arguments are called directly. Resolvers with a
permission class, a field extension, an input type, a list or a ``Maybe`` argument are
left to strawberry. Each query runs through ``OneField`` and through strawberry's own
``execute``, and the results must be the same.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import pytest
import strawberry
from graphql import ExecutionResult, GraphQLSchema, parse, validate
from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import BasePermission
from strawberry.types import Info

from schema import build_schema
from schema.direct import chosen_operation
from schema.one_field import OneField
from schema.plan import PlannedExecutionContext
from schema.resolver_call import direct_resolver


@strawberry.enum
class Colour(Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.input
class Range:
    low: int
    high: int


class Never(BasePermission):
    message = "never"

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return False


class Shout(FieldExtension):
    def resolve(self, next_: Any, source: Any, info: Info, **kwargs: Any) -> Any:
        return str(next_(source, info, **kwargs)).upper()


def resolve_describe(info: Info, name: str, colour: Colour, times: int = 2, note: str | None = None) -> str:
    assert isinstance(colour, Colour)  # graphql-core gives the member, not its value
    return f"{info.field_name}:{name}:{colour.name}:{times}:{note}:{info.context['who']}"


async def resolve_describe_later(root: Any, first_id: strawberry.ID, ratio: float, on: bool) -> str:
    return f"{root}:{first_id}:{ratio}:{on}"


def resolve_plain() -> str:
    return "plain"


def resolve_ranged(span: Range) -> str:
    return f"{span.low}-{span.high}"


def resolve_listed(names: list[str]) -> str:
    return ",".join(names)


def resolve_maybe(name: strawberry.Maybe[str]) -> str:
    return "set" if name is not None else "unset"


@strawberry.type
class Query:
    described: str = strawberry.field(resolver=resolve_describe)
    described_later: str = strawberry.field(resolver=resolve_describe_later)
    plain: str = strawberry.field(resolver=resolve_plain)
    guarded: str = strawberry.field(resolver=resolve_plain, permission_classes=[Never])
    shouted: str = strawberry.field(resolver=resolve_plain, extensions=[Shout()])
    ranged: str = strawberry.field(resolver=resolve_ranged)
    listed: str = strawberry.field(resolver=resolve_listed)
    maybe: str = strawberry.field(resolver=resolve_maybe)


SCHEMA = strawberry.Schema(Query)
DIRECT = {"described", "describedLater", "plain"}


def test_direct_call_only_for_plain_fields() -> None:
    fields = SCHEMA._schema.query_type.fields  # type: ignore[union-attr]
    direct = {name for name, field in fields.items() if direct_resolver(field, SCHEMA.schema_converter)}
    assert direct == DIRECT


def test_hub_lookup_takes_the_direct_call() -> None:
    hub = build_schema(production=False)
    fields = hub._schema.query_type.fields  # type: ignore[union-attr]
    assert direct_resolver(fields["priorRecords"], hub.schema_converter) is not None
    assert direct_resolver(fields["priorRecordsBatch"], hub.schema_converter) is None  # a list argument


async def one_field(schema: GraphQLSchema, query: str, variables: dict[str, Any] | None) -> ExecutionResult:
    document = parse(query)
    assert not validate(schema, document)  # as DirectExecution hands OneField only valid documents
    operation = chosen_operation(document, None)
    assert operation is not None
    field = OneField.of(schema, operation, SCHEMA.schema_converter)
    assert field is not None

    async def core(middleware: list[Any] | None) -> ExecutionResult:
        from graphql import execute

        result = execute(
            schema,
            document,
            variable_values=variables,
            context_value={"who": "clerk"},
            middleware=middleware,
            executor_class=PlannedExecutionContext,
        )
        if not isinstance(result, ExecutionResult):
            result = await result
        return result

    return await field.run(schema, document, variables, {"who": "clerk"}, core)


QUERIES: list[tuple[str, dict[str, Any] | None]] = [
    ('{ described(name: "a", colour: RED) }', None),
    ('{ x: described(name: "a", colour: BLUE, times: 5, note: "n") }', None),
    (
        "query($c: Colour!, $n: String!) { described(name: $n, colour: $c, note: null) }",
        {"c": "BLUE", "n": "b"},
    ),
    ('{ describedLater(firstId: "7", ratio: 0.5, on: true) }', None),
    ("{ plain }", None),
    ("{ guarded }", None),
    ("{ shouted }", None),
    ("{ ranged(span: {low: 1, high: 3}) }", None),
    ('{ listed(names: ["a", "b"]) }', None),
    ('{ maybe(name: "x") }', None),
]


@pytest.mark.parametrize(("query", "variables"), QUERIES)
async def test_same_result_as_strawberry(query: str, variables: dict[str, Any] | None) -> None:
    expected = await SCHEMA.execute(query, variable_values=variables, context_value={"who": "clerk"})
    got = await one_field(SCHEMA._schema, query, variables)
    assert got.data == expected.data
    assert [error.message for error in got.errors or []] == [error.message for error in expected.errors or []]
    if "described(" in query:
        assert got.data is not None and "clerk" in next(iter(got.data.values()))
