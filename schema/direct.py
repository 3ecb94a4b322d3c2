"""Execute the usual operation on graphql-core directly, doing what the hub's extensions would.

strawberry's ``Schema.execute`` serves any schema: for every request it builds each
extension anew, a runner with a context manager per phase, a middleware manager and an
execution context, and looks up every hook of every extension. The hub's schema, untraced,
has two extensions: ``DocumentLimits``, which parses and validates each query text once,
and ``HubErrors``, which adds the partial errors and localises every error. Together
they need no per-request machinery. On a warm lookup, measured in one process, that
machinery took about 0.09 of 0.58 ms of CPU (``bench.lookup_cost``).

``DirectExecution`` takes a request that parsed and validated without errors, names an
operation the document has, and requests a query or a mutation the transport allows. It
runs graphql-core's ``execute`` as strawberry would, with the schema's execution context
class, then does what the two extensions do after it: log each error once through the
schema, add the partial errors and localise everything. Any other request, and every
request to a schema with other extensions, custom directives or tracing, goes to
strawberry's ``execute``, which reports its errors as before. Nothing has run by then, so
handing it over cannot run a resolver twice. ``tests/test_direct_execution.py`` compares
the two paths response by response.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from graphql import DocumentNode, GraphQLError, OperationDefinitionNode
from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from schema.errors import client_errors, partial_graphql_errors
from schema.one_field import OneFieldCache
from schema.plan import PlannedExecutionContext

if TYPE_CHECKING:
    from schema.errors import HubSchema

# Operation types strawberry allows when the transport names none (its DEFAULT_ALLOWED_OPERATION_TYPES).
DEFAULT_OPERATIONS = frozenset({OperationType.QUERY, OperationType.MUTATION})


class DirectExecution:
    """Execute a valid query or mutation on ``schema`` with the hub's error handling and no hooks.

    ``prepare`` returns the parsed document of a query text that parses and validates
    under the schema's limits without an error, else None.
    """

    def __init__(
        self, schema: HubSchema, prepare: Callable[[str], DocumentNode | None], *, hide_suggestions: bool
    ) -> None:
        self.schema = schema
        self.prepare = prepare
        self.hide_suggestions = hide_suggestions
        self._execute = schema._get_execute_function()
        self._one_fields = OneFieldCache(schema.schema_converter)
        # A query of one root field skips graphql-core's field machinery (``schema.one_field``),
        # which completes by plan and so needs the planned execution context.
        self._planned = schema.execution_context_class is PlannedExecutionContext

    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None,
        context_value: Any,
        operation_name: str | None,
        allowed_operation_types: Iterable[OperationType] | None,
    ) -> ExecutionResult | None:
        """Return the result, or None for a request that strawberry's ``execute`` must take."""
        document = self.prepare(query) if query else None
        if document is None:
            return None
        operation = chosen_operation(document, operation_name)
        if operation is None:
            return None
        kind = OperationType(operation.operation.value)
        allowed = DEFAULT_OPERATIONS if allowed_operation_types is None else allowed_operation_types
        if kind is OperationType.SUBSCRIPTION or kind not in allowed:
            return None

        schema = self.schema

        async def core(middleware: list[Any] | None) -> GraphQLExecutionResult:
            result = self._execute(
                schema._schema,
                document,
                variable_values=variable_values,
                # strawberry passes the chosen operation's name, the first one's when none is given.
                operation_name=operation.name.value if operation.name else None,
                context_value=context_value,
                middleware=middleware,
                is_awaitable=optimized_is_awaitable,
                executor_class=schema.execution_context_class,
                operation_extensions=None,
            )
            if optimized_is_awaitable(result):
                result = await result
            assert isinstance(result, GraphQLExecutionResult)
            return result

        one_field = self._one_fields.get(schema._schema, operation) if self._planned else None
        try:
            if one_field is not None:
                result = await one_field.run(schema._schema, document, variable_values, context_value, core)
            else:
                result = await core(None)
        except Exception as exc:  # noqa: BLE001 - as strawberry's execute: an error, never a 500
            error = exc if isinstance(exc, GraphQLError) else GraphQLError(str(exc), original_error=exc)
            schema._process_errors([error])
            return ExecutionResult(data=None, errors=self._localised([error], context_value), extensions={})

        errors = result.errors
        if errors:
            schema._process_errors(errors)
        partial = partial_graphql_errors(context_value)
        if partial:
            schema.process_errors(partial)
            errors = [*(errors or []), *partial]
        if errors:
            errors = self._localised(errors, context_value)
        return ExecutionResult(data=result.data, errors=errors, extensions={})

    def _localised(self, errors: list[GraphQLError], context: Any) -> list[GraphQLError]:
        return client_errors(errors, context, self.hide_suggestions)


def chosen_operation(document: DocumentNode, operation_name: str | None) -> OperationDefinitionNode | None:
    """Return the operation strawberry would run: the one named, else the document's first."""
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        if operation_name is None:
            return definition
        if definition.name is not None and definition.name.value == operation_name:
            return definition
    return None
