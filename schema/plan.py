"""Complete plain result objects with a plan compiled once per selection.

Most of a prior-records result is plain data: strawberry types whose fields have no
resolver, no arguments and no directives, holding scalars, enums, lists and other such
types. graphql-core completes each of those fields with a resolve-info, a path and an
error boundary of its own. On a warm cache that was about a fifth of a lookup's CPU in a
profile, its largest single part.
``PlannedExecutionContext`` compiles each such selection, once per query text, into
nested functions (a plan) and completes the object with it.

What a plan does not cover keeps graphql-core's path: resolvers, arguments, directives,
fragment variables, abstract types and ``is_type_of`` checks. A value that a plan cannot
complete (a null in a non-null field, a value its scalar refuses) makes the plan give up,
and graphql-core completes the whole object again from the start, with its usual errors.
A plan only reads attributes, so reading them twice changes nothing.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    SelectionSetNode,
    Undefined,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution.collect_fields import FieldDetails, FragmentDetails, collect_subfields
from graphql.pyutils import AwaitableOrValue, Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

Complete = Callable[[Any], Any]
# Plans kept across requests in an LRU, so unique query texts cannot grow memory.
PLAN_CACHE_SIZE = 1024
TYPENAME = "__typename"


class GiveUp(Exception):
    """A value that a plan does not complete; graphql-core completes the object instead."""


GAVE_UP = object()


class PlannedExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """strawberry's execution context, completing plain objects by plan (see the module)."""

    def complete_object_value(
        self,
        return_type: GraphQLObjectType,
        field_details_list: list[FieldDetails],
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        plan = self._object_plan(return_type, field_details_list)
        if plan is not None:
            completed = _attempt(plan, result)
            if completed is not GAVE_UP:
                return completed  # type: ignore[no-any-return]
        return super().complete_object_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def _object_plan(self, return_type: GraphQLObjectType, details: list[FieldDetails]) -> Complete | None:
        key = (return_type, tuple(id(detail.node) for detail in details))
        cached = _PLANS.get(key)
        if cached is not None:
            _PLANS.move_to_end(key)
            return cached[1]
        plan = self._compile_object(return_type, details)
        # The nodes are kept with the plan, so no other node can take one of their ids meanwhile.
        _PLANS[key] = ([detail.node for detail in details], plan)
        while len(_PLANS) > PLAN_CACHE_SIZE:
            _PLANS.popitem(last=False)
        return plan

    def _compile_object(self, return_type: GraphQLObjectType, details: list[FieldDetails]) -> Complete | None:
        if return_type.is_type_of is not None:
            return None
        if any(detail.defer_usage or detail.fragment_variable_values for detail in details):
            return None
        if not _free_of_directives([detail.node for detail in details], self.fragments):
            return None
        collected = collect_subfields(
            self.schema,
            self.fragments,
            self.variable_values,
            self.operation,
            return_type,
            details,
            self.hide_suggestions,
        )
        fields: list[tuple[str, Callable[[Any, None], Any], Complete]] = []
        for response_key, child_details in collected.grouped_field_set.items():
            name = child_details[0].node.name.value
            if name == TYPENAME:
                fields.append((response_key, _constant(return_type.name), _same))
                continue
            field = return_type.fields.get(name)
            if field is None or field.args or not getattr(field.resolve, "_is_default", False):
                return None  # a resolver, or a meta field that graphql-core resolves itself
            complete = self._compile(field.type, child_details)
            if complete is None:
                return None
            fields.append((response_key, field.resolve, complete))

        def complete_object(source: Any) -> dict[str, Any]:
            return {key: complete(resolve(source, None)) for key, resolve, complete in fields}

        return complete_object

    def _compile(self, of_type: GraphQLOutputType, details: list[FieldDetails]) -> Complete | None:
        if is_non_null_type(of_type):
            return _non_null(self._compile(of_type.of_type, details))
        if is_list_type(of_type):
            return _list_of(self._compile(of_type.of_type, details))
        if is_leaf_type(of_type):
            return _leaf(of_type.coerce_output_value)
        if is_object_type(of_type):
            return _nullable(self._object_plan(of_type, details))
        return None  # an interface or a union


_PLANS: OrderedDict[tuple[GraphQLObjectType, tuple[int, ...]], tuple[list[FieldNode], Complete | None]] = (
    OrderedDict()
)


def _free_of_directives(nodes: Sequence[FieldNode], fragments: dict[str, FragmentDetails]) -> bool:
    """True when no selection below ``nodes``, fragments included, carries a directive.

    A directive such as ``@include(if: $flag)`` makes the selection depend on the
    variables, which a plan shared by every request with the same query text must not.
    """
    stack: list[SelectionSetNode] = [node.selection_set for node in nodes if node.selection_set]
    spread: set[str] = set()
    while stack:
        for selection in stack.pop().selections:
            if selection.directives:
                return False
            if isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in spread:
                    continue
                spread.add(name)
                fragment = fragments.get(name)
                if fragment is None or fragment.definition.directives:
                    return False
                stack.append(fragment.definition.selection_set)
            elif selection.selection_set is not None:  # type: ignore[attr-defined]
                stack.append(selection.selection_set)  # type: ignore[attr-defined]
    return True


def _attempt(plan: Complete, value: Any) -> Any:
    """Return ``plan(value)``, or ``GAVE_UP`` for graphql-core to complete the value and report the error."""
    try:
        return plan(value)
    except Exception:  # noqa: BLE001 - any failure: graphql-core's own run raises it where it belongs
        return GAVE_UP


def _constant(value: str) -> Callable[[Any, None], str]:
    return lambda _source, _info: value


def _same(value: Any) -> Any:
    return value


def _non_null(inner: Complete | None) -> Complete | None:
    if inner is None:
        return None

    def complete_non_null(value: Any) -> Any:
        completed = inner(value)
        if completed is None:
            raise GiveUp
        return completed

    return complete_non_null


def _list_of(inner: Complete | None) -> Complete | None:
    if inner is None:
        return None

    def complete_list(value: Any) -> list[Any] | None:
        if value is None:
            return None
        if not isinstance(value, list | tuple):
            raise GiveUp
        return [inner(item) for item in value]

    return complete_list


def _leaf(coerce: Callable[[Any], Any]) -> Complete:
    def complete_leaf(value: Any) -> Any:
        if value is None:
            return None
        coerced = coerce(value)
        if coerced is None or coerced is Undefined:
            raise GiveUp
        return coerced

    return complete_leaf


def _nullable(plan: Complete | None) -> Complete | None:
    if plan is None:
        return None

    def complete_object(value: Any) -> Any:
        return None if value is None else plan(value)

    return complete_object
