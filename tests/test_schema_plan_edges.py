"""Differential tests for ``PlannedExecutionContext`` on values and queries outside tests/test_schema_plan.py.

Each query runs on a schema that completes objects by plan and on the same schema with
strawberry's own execution context. Data, errors and incremental payloads must match.
A failing test marks a case where the planned path returns something else.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, NewType

import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.scalars import JSON
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema.build import DocumentLimits
from schema.plan import PlannedExecutionContext


@strawberry.enum
class Level(Enum):
    LOW = "low"
    HIGH = "high"


Cents = NewType("Cents", int)
CENTS = strawberry.scalar(
    name="Cents",
    serialize=lambda value: f"{value / 100:.2f}",
    parse_value=lambda value: round(float(value) * 100),
)

# Permission checks observed during one query: the raw GraphQL info each check received.
PERMISSION_CHECKS: list[object] = []


class ClearedFromContext(BasePermission):
    """Grant access when the request context contains ``cleared``, and record each check."""

    message = "not cleared"

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        PERMISSION_CHECKS.append(info._raw_info)
        return bool(info.context["cleared"])


class ClearedOrAnonymous(BasePermission):
    """Grant access when the context contains ``cleared``, treating a call without a context as anonymous."""

    message = "not cleared"

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        context = getattr(info, "context", None) or {}
        return bool(context.get("cleared"))


@strawberry.type
class Charge:
    name: str
    level: Level
    amount: Cents | None = None


@strawberry.type
class Case:
    number: str
    charges: list[Charge]
    lead: Charge | None = None
    grid: list[list[str | None] | None] | None = None
    strict: list[str] | None = None
    weight: Decimal | None = None
    extra: JSON | None = None
    remark: str | None = strawberry.field(default=None, permission_classes=[ClearedFromContext])
    note: str | None = strawberry.field(
        default=None, extensions=[PermissionExtension([ClearedOrAnonymous()], fail_silently=True)]
    )


Thing = Annotated[Case | Charge, strawberry.union("Thing")]


@dataclass
class Current:
    case: Any = None
    things: list[Any] = field(default_factory=list)


CURRENT = Current()


@strawberry.type
class Query:
    @strawberry.field
    def case(self) -> Case | None:
        return CURRENT.case

    @strawberry.field
    def things(self) -> list[Thing]:
        return CURRENT.things


class UpperCaseStrings(SchemaExtension):
    """Upper-case each string a resolver returns, in a ``resolve`` hook run by strawberry as middleware."""

    def resolve(self, _next: Callable[..., Any], root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
        value = _next(root, info, *args, **kwargs)
        return value.upper() if isinstance(value, str) else value


@functools.cache
def pair(
    query: type = Query, *, extensions: tuple[type[SchemaExtension], ...] = (), incremental: bool = False
) -> tuple[strawberry.Schema, strawberry.Schema]:
    """Return the same schema with and without plans, both parsing through the hub's document cache."""
    config = StrawberryConfig(
        enable_experimental_incremental_execution=incremental, scalar_map={Cents: CENTS}
    )
    built = [
        strawberry.Schema(
            query=query,
            extensions=[DocumentLimits, *extensions],
            execution_context_class=context_class,
            config=config,
        )
        for context_class in (PlannedExecutionContext, StrawberryGraphQLCoreExecutionContext)
    ]
    return built[0], built[1]


async def payloads(result: Any) -> list[dict[str, Any]]:
    """Return every payload of a result: one for a plain result, all of them for incremental delivery."""
    initial = getattr(result, "initial_result", None)
    if initial is None:
        return [{"data": result.data, "errors": [error.formatted for error in result.errors or []]}]
    found = [initial.formatted]
    async for later in result.subsequent_results:
        found.append(later.formatted)
    return found


async def both(
    query: str,
    case: Any = None,
    *,
    make: Callable[[], Any] | None = None,
    things: list[Any] | None = None,
    variables: dict[str, Any] | None = None,
    context: Any = None,
    operation_name: str | None = None,
    schemas: tuple[strawberry.Schema, strawberry.Schema] | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Run ``query`` with and without plans and return the payloads of each, planned first.

    ``make``, when given, builds the case value anew for each of the two runs.
    """
    CURRENT.things = things or []
    planned, plain = schemas or pair()
    results = []
    for schema in (planned, plain):
        CURRENT.case = make() if make is not None else case
        result = await schema.execute(
            query, variable_values=variables, context_value=context, operation_name=operation_name
        )
        results.append(await payloads(result))
    return results[0], results[1]


def a_case(**changes: Any) -> Case:
    fields: dict[str, Any] = {
        "number": "（2020）川3401刑初1号",
        "charges": [Charge(name="盗窃罪", level=Level.LOW, amount=12345)],
        "lead": Charge(name="诈骗罪", level=Level.HIGH),
    }
    fields.update(changes)
    return Case(**fields)


# Cases where a plan must give way to graphql-core, because completing by plan would differ.


async def test_schema_extension_resolve_hook_runs() -> None:
    """An extension's ``resolve`` hook runs on every field, so such a schema gets no plans."""
    value = a_case(number="case-1", charges=[Charge(name="theft", level=Level.LOW)])

    ours, theirs = await both(
        "{ case { number charges { name } } }", value, schemas=pair(extensions=(UpperCaseStrings,))
    )

    assert theirs[0]["data"] == {"case": {"number": "CASE-1", "charges": [{"name": "THEFT"}]}}
    assert ours == theirs


async def test_silent_permission_reads_context() -> None:
    """A field with a permission class keeps graphql-core's path, which gives the permission its info."""
    ours, theirs = await both("{ case { note } }", a_case(note="可见"), context={"cleared": True})

    assert theirs[0]["data"] == {"case": {"note": "可见"}}
    assert ours == theirs


async def test_permission_checked_once_per_field() -> None:
    """A field's permission is checked once, with the request's info, as graphql-core checks it."""
    PERMISSION_CHECKS.clear()
    CURRENT.case = a_case(remark="备注")
    planned, plain = pair()

    plain_result = await plain.execute("{ case { remark } }", context_value={"cleared": True})
    plain_checks = list(PERMISSION_CHECKS)
    PERMISSION_CHECKS.clear()
    planned_result = await planned.execute("{ case { remark } }", context_value={"cleared": True})

    assert plain_result.data == planned_result.data == {"case": {"remark": "备注"}}
    assert len(plain_checks) == 1
    assert PERMISSION_CHECKS.count(None) == 0
    assert len(PERMISSION_CHECKS) == len(plain_checks)


async def test_exception_value_in_string_scalar_field() -> None:
    """A field value that is an exception becomes a field error, though ``Decimal`` would serialize it."""
    ours, theirs = await both("{ case { number weight } }", a_case(weight=ValueError("weight unknown")))

    assert theirs[0]["data"] == {"case": {"number": "（2020）川3401刑初1号", "weight": None}}
    assert theirs[0]["errors"][0]["message"] == "weight unknown"
    assert ours == theirs


async def test_exception_value_under_typename() -> None:
    """An exception under a selection of only ``__typename`` still becomes a field error."""
    ours, theirs = await both("{ case { lead { __typename } } }", a_case(lead=LookupError("lead not found")))

    assert theirs[0]["data"] == {"case": {"lead": None}}
    assert theirs[0]["errors"][0]["path"] == ["case", "lead"]
    assert ours == theirs


async def test_awaitable_value_in_json_field() -> None:
    """A field value that is awaitable is awaited, though the JSON scalar would pass it through."""
    loaded: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    loaded.set_result({"source": "court"})

    ours, theirs = await both("{ case { extra } }", a_case(extra=loaded))

    assert theirs[0]["data"] == {"case": {"extra": {"source": "court"}}}
    assert ours == theirs


DEFER_QUERY = """query($late: Boolean!) {
  case { lead { name } ... @defer(if: $late) { lead { level } } }
}"""


async def test_defer_after_plan_built_without_defer() -> None:
    """A plan built while ``@defer`` was off is not used when it is on, so deferred fields stay deferred."""
    schemas = pair(incremental=True)
    await both(DEFER_QUERY, a_case(), variables={"late": False}, schemas=schemas)

    ours, theirs = await both(DEFER_QUERY, a_case(), variables={"late": True}, schemas=schemas)

    assert theirs[0]["data"] == {"case": {"lead": {"name": "诈骗罪"}}}
    assert ours == theirs


DEFER_DOCUMENT = """
fragment LeadName on Case { lead { name } }
fragment LeadLevel on Case { lead { level } }
query Now { case { ...LeadName ...LeadLevel } }
query Later { case { ...LeadName ...LeadLevel @defer } }
"""


async def test_defer_in_other_operation_of_document() -> None:
    """Two operations of one document share the fragments' nodes, but only the undeferred one uses a plan."""
    schemas = pair(incremental=True)
    await both(DEFER_DOCUMENT, a_case(), operation_name="Now", schemas=schemas)

    ours, theirs = await both(DEFER_DOCUMENT, a_case(), operation_name="Later", schemas=schemas)

    assert theirs[0]["data"] == {"case": {"lead": {"name": "诈骗罪"}}}
    assert ours == theirs


# Cases checked that match.


async def test_lists_with_null_and_nested_lists() -> None:
    value = a_case(grid=[["a", None], None, []], strict=["x"], charges=[])

    ours, theirs = await both("{ case { grid strict charges { name } } }", value)

    assert ours == theirs
    assert ours[0]["data"] == {"case": {"grid": [["a", None], None, []], "strict": ["x"], "charges": []}}


async def test_null_item_in_non_null_list() -> None:
    ours, theirs = await both("{ case { number strict } }", a_case(strict=["x", None]))

    assert ours == theirs
    assert ours[0]["data"] == {"case": {"number": "（2020）川3401刑初1号", "strict": None}}
    assert ours[0]["errors"][0]["path"] == ["case", "strict", 1]


async def test_null_object_in_non_null_list() -> None:
    ours, theirs = await both("{ case { charges { name } } }", a_case(charges=[None]))

    assert ours == theirs
    assert ours[0]["data"] == {"case": None}


async def test_enum_and_custom_scalar_values() -> None:
    value = a_case(charges=[Charge(name="a", level=Level.HIGH, amount=5), Charge(name="b", level="low")])

    ours, theirs = await both("{ case { charges { level amount } } }", value)

    assert ours == theirs
    assert ours[0]["data"]["case"]["charges"] == [
        {"level": "HIGH", "amount": "0.05"},
        {"level": "LOW", "amount": None},
    ]


async def test_enum_rejecting_value() -> None:
    ours, theirs = await both(
        "{ case { charges { name level } } }", a_case(charges=[Charge(name="a", level="medium")])
    )

    assert ours == theirs
    assert ours[0]["data"] == {"case": None}
    assert ours[0]["errors"][0]["path"] == ["case", "charges", 0, "level"]


async def test_custom_scalar_rejecting_value() -> None:
    value = a_case(charges=[Charge(name="a", level=Level.LOW, amount="many")])

    ours, theirs = await both("{ case { charges { name amount } } }", value)

    assert ours == theirs
    assert ours[0]["data"] == {"case": {"charges": [{"name": "a", "amount": None}]}}
    assert ours[0]["errors"][0]["path"] == ["case", "charges", 0, "amount"]


async def test_tuple_generator_and_set_as_lists() -> None:
    """A generator is made anew for each run: the first run consumes it."""
    makers: list[Callable[[], Any]] = [
        lambda: (Charge(name="a", level=Level.LOW),),
        lambda: (charge for charge in [Charge(name="b", level=Level.LOW)]),
    ]
    for make in makers:
        ours, theirs = await both(
            "{ case { charges { name } } }", make=lambda make=make: a_case(charges=make())
        )
        assert ours == theirs
        assert ours[0]["errors"] == []
        assert len(ours[0]["data"]["case"]["charges"]) == 1

    ours, theirs = await both("{ case { strict } }", a_case(strict={"only"}))

    assert ours == theirs
    assert ours[0]["data"] == {"case": {"strict": ["only"]}}


async def test_merged_fields_aliases_and_typename() -> None:
    query = """{ case { lead { name } lead { level t: __typename } first: lead { name }
      ... on Case { lead { amount } } } }"""

    ours, theirs = await both(query, a_case())

    assert ours == theirs
    assert ours[0]["data"]["case"]["lead"] == {
        "name": "诈骗罪",
        "level": "HIGH",
        "t": "Charge",
        "amount": None,
    }


async def test_union_fragment_inside_object_selection() -> None:
    query = """{ things { __typename ... on Case { number ... on Thing { ... on Charge { name } } }
      ... on Charge { name level } } case { ... on Thing { ... on Case { number } } } }"""
    things = [a_case(), Charge(name="x", level=Level.LOW)]

    ours, theirs = await both(query, a_case(), things=things)

    assert ours == theirs
    assert ours[0]["data"]["things"][1] == {"__typename": "Charge", "name": "x", "level": "LOW"}


async def test_skip_on_nested_spread_follows_variables() -> None:
    query = """query($hide: Boolean!) { case { charges { ...Named @skip(if: $hide) level } } }
      fragment Named on Charge { name }"""

    for hide in (False, True, False):
        ours, theirs = await both(query, a_case(), variables={"hide": hide})
        assert ours == theirs
        assert ("name" in ours[0]["data"]["case"]["charges"][0]) is not hide


async def test_operations_sharing_a_fragment() -> None:
    document = """fragment Charges on Case { charges { name } }
      query Short { case { ...Charges } }
      query Long { case { number ...Charges charges { level } } }"""

    for name in ("Short", "Long", "Short"):
        ours, theirs = await both(document, a_case(), operation_name=name)
        assert ours == theirs

    assert ours[0]["data"] == {"case": {"charges": [{"name": "盗窃罪"}]}}


@strawberry.type
class OtherCase:
    number: int
    charges: list[Level]


@strawberry.type
class OtherQuery:
    @strawberry.field
    def case(self) -> OtherCase:
        return OtherCase(number=7, charges=[Level.HIGH])


async def test_same_text_on_two_planned_schemas() -> None:
    """The parse cache gives both schemas one document, so only the object type in the plan key differs."""
    for _ in range(2):
        ours, theirs = await both("{ case { number } }", a_case(), schemas=pair(OtherQuery))
        assert ours == theirs
        assert ours[0]["data"] == {"case": {"number": 7}}

        ours, theirs = await both("{ case { number } }", a_case())
        assert ours == theirs
        assert ours[0]["data"] == {"case": {"number": "（2020）川3401刑初1号"}}


async def test_defer_of_whole_object_matches() -> None:
    query = "query($late: Boolean!) { case { number ... @defer(if: $late) { lead { name level } } } }"
    schemas = pair(incremental=True)

    for late in (False, True):
        ours, theirs = await both(query, a_case(), variables={"late": late}, schemas=schemas)
        assert ours == theirs


async def test_stream_of_objects_matches() -> None:
    query = "{ case { charges @stream(initialCount: 1) { name level } } }"
    value = a_case(charges=[Charge(name=str(n), level=Level.LOW) for n in range(3)])

    ours, theirs = await both(query, value, schemas=pair(incremental=True))

    assert ours == theirs
    assert len(ours) > 1


async def test_permission_denied_matches() -> None:
    ours, theirs = await both(
        "{ case { number remark note } }", a_case(remark="r", note="n"), context={"cleared": False}
    )

    assert ours == theirs
    assert ours[0]["data"] == {"case": {"number": "（2020）川3401刑初1号", "remark": None, "note": None}}
