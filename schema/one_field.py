"""Execute a query of one root field: resolve it, then complete the result by plan.

A lookup is a query with one root field (``priorRecords``), whose result a plan completes
(``schema.plan``). graphql-core still collects the root fields, wraps the resolver's
awaitable in several coroutines and completes the root with its general code. ``OneField``
does the same steps for that shape directly: it coerces the variables and the arguments
as graphql-core does, calls the field's resolver with graphql-core's resolve info, and
completes the value with the field's plan. In one process this took a warm lookup from
0.49 to 0.40 ms of CPU (``bench.lookup_cost``).

Until the resolver is called, any problem (invalid variables or arguments) hands the
request back to graphql-core, which reports it as usual: nothing has run yet. Once the
resolver has run, an exception it raised, or a value the plan gives up on, is replayed.
graphql-core then executes the document again with a middleware that gives it that outcome
for the root field in place of the resolver. Its own completion reports the error, and
the resolver never runs twice."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    GraphQLError,
    GraphQLField,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
)
from graphql.execution.collect_fields import FieldDetails
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.schema.schema_converter import GraphQLCoreConverter

from schema.plan import GAVE_UP, Complete, PlannedExecutionContext, attempt
from schema.resolver_call import Resolve, direct_resolver

# Operations kept with their root fields in an LRU, so unique query texts cannot grow memory.
CACHE_SIZE = 256

# graphql-core's execution of the whole request, with the middleware given (None for none).
Core = Callable[[list[Any] | None], Awaitable[ExecutionResult]]


@dataclass(frozen=True, slots=True)
class _Raised:
    error: Exception


class OneField:
    """The single root field of a query operation, with the plan that completes its value."""

    def __init__(
        self, operation: OperationDefinitionNode, node: FieldNode, field: GraphQLField, resolve: Resolve
    ) -> None:
        self.operation = operation
        self.node = node
        self.field = field
        self.resolve = resolve
        self.key = node.alias.value if node.alias else node.name.value
        self.plan: Complete | None = None
        self.planned = False

    @staticmethod
    def of(
        schema: GraphQLSchema,
        operation: OperationDefinitionNode,
        converter: GraphQLCoreConverter | None = None,
    ) -> OneField | None:
        """Return the operation's one root field, or None for any other shape of operation.

        With strawberry's ``converter``, a resolver that allows it is called directly
        (``schema.resolver_call``); otherwise through the field's ``resolve``.
        """
        if operation.operation is not OperationType.QUERY or operation.directives:
            return None
        selections = operation.selection_set.selections
        if len(selections) != 1 or not isinstance(selections[0], FieldNode):
            return None
        node = selections[0]
        root = schema.query_type
        if node.directives or node.name.value.startswith("__") or root is None:
            return None
        field = root.fields.get(node.name.value)
        if field is None or field.resolve is None:
            return None
        direct = direct_resolver(field, converter) if converter is not None else None
        return OneField(operation, node, field, direct or _through(field.resolve))

    async def run(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        variable_values: dict[str, Any] | None,
        context_value: Any,
        core: Core,
    ) -> ExecutionResult:
        """Execute the operation; ``core`` executes the whole request on graphql-core, with middleware."""
        name = self.operation.name.value if self.operation.name else None
        executor = PlannedExecutionContext.build(
            schema,
            document,
            None,
            context_value,
            variable_values,
            name,
            is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]
            operation_extensions=None,
        )
        if isinstance(executor, list):  # invalid variables: graphql-core reports them
            return await core(None)
        assert isinstance(executor, PlannedExecutionContext)
        plan = self._plan(executor)
        if plan is None:
            return await core(None)
        try:
            args = (
                get_argument_values(
                    self.field, self.node, executor.variable_values, None, executor.hide_suggestions
                )
                if self.field.args or self.node.arguments
                else {}
            )
        except GraphQLError:
            return await core(None)

        root = schema.query_type
        assert isinstance(root, GraphQLObjectType)
        info: GraphQLResolveInfo[Any] = executor.build_resolve_info(
            self.field, [self.node], root, Path(None, self.key, root.name)
        )
        try:
            value = self.resolve(info, args)
            if optimized_is_awaitable(value):
                value = await value
        except Exception as exc:  # noqa: BLE001 - graphql-core reports it, through the replay
            return await self._replay(_Raised(exc), core)
        completed = attempt(plan, value)
        if completed is GAVE_UP:
            return await self._replay(value, core)
        return ExecutionResult({self.key: completed}, None)

    def _plan(self, executor: PlannedExecutionContext) -> Complete | None:
        if not self.planned:
            self.plan = executor.compile_field(self.field.type, [FieldDetails(self.node, None)])
            self.planned = True
        return self.plan

    async def _replay(self, outcome: Any, core: Core) -> ExecutionResult:
        """Execute the document on graphql-core with ``outcome`` in place of the root field's resolver."""

        def replaying(next_: Any, root: Any, info: GraphQLResolveInfo[Any], **args: Any) -> Any:
            if info.path.prev is not None:
                return next_(root, info, **args)
            if isinstance(outcome, _Raised):
                raise outcome.error
            return outcome

        return await core([replaying])


def _through(resolve: Callable[..., Any]) -> Resolve:
    """Call the field's graphql-core resolver with the root value (None) as its source."""
    return lambda info, args: resolve(None, info, **args)


class OneFieldCache:
    """``OneField.of`` for each operation node, kept in an LRU of ``CACHE_SIZE`` operations."""

    def __init__(self, converter: GraphQLCoreConverter | None = None) -> None:
        self.converter = converter
        self._fields: OrderedDict[int, tuple[OperationDefinitionNode, OneField | None]] = OrderedDict()

    def get(self, schema: GraphQLSchema, operation: OperationDefinitionNode) -> OneField | None:
        key = id(operation)
        cached = self._fields.get(key)
        if cached is not None and cached[0] is operation:
            self._fields.move_to_end(key)
            return cached[1]
        # The node is kept with its field, so no other node can take its id meanwhile.
        field = OneField.of(schema, operation, self.converter)
        self._fields[key] = (operation, field)
        while len(self._fields) > CACHE_SIZE:
            self._fields.popitem(last=False)
        return field
