"""Complete plain result objects with a plan compiled once per selection.

Most of a prior-records result is plain data: strawberry types whose fields have no
resolver, no arguments and no directives, holding scalars, enums, lists and other such
types. graphql-core completes each of those fields with a resolve-info, a path and an
error boundary of its own. On a warm cache that was about a fifth of a lookup's CPU in a
profile, its largest single part.
``PlannedExecutionContext`` compiles each such selection, once per query text, into
nested functions (a plan) and completes the object with it.

What a plan does not cover keeps graphql-core's path: resolvers, field extensions and
permission classes, schema extensions with a ``resolve`` hook, arguments, directives,
deferred fields, fragment variables, abstract types and ``is_type_of`` checks. Some values
make a plan give up: a null in a non-null field, a value its scalar refuses, an exception
or an awaitable. graphql-core then completes the whole object again from the start, with
its usual errors. A plan only reads attributes, so
reading them again changes nothing. Each object above the bad value gives up too and
is completed on graphql-core's path, which tries the plans below it again on the way down.
"""

from __future__ import annotations

import contextlib
import operator
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLString,
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
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

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
            completed = attempt(plan, result)
            if completed is not GAVE_UP:
                return completed  # type: ignore[no-any-return]
        return super().complete_object_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def _object_plan(self, return_type: GraphQLObjectType, details: list[FieldDetails]) -> Complete | None:
        # A schema extension's resolve hook wraps every field as graphql-core middleware.
        middleware = self.middleware_manager
        if middleware is not None and middleware.middlewares:
            return None
        # Checked on every call, not only when compiling: the same nodes may come deferred in
        # another operation, or with @defer(if: $var) switched on by another request.
        if any(detail.defer_usage or detail.fragment_variable_values for detail in details):
            return None
        key = (return_type, tuple(id(detail.node) for detail in details))
        cached = _PLANS.get(key)
        if cached is not None:
            with contextlib.suppress(KeyError):  # evicted meanwhile by another thread
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
        fields: list[tuple[str, Complete, Complete]] = []
        for response_key, child_details in collected.grouped_field_set.items():
            name = child_details[0].node.name.value
            if name == TYPENAME:
                fields.append((response_key, _constant(return_type.name), _same))
                continue
            field = return_type.fields.get(name)
            if field is None or not _basic(field):
                return None  # a resolver, an extension, or a meta field that graphql-core resolves itself
            complete = self._compile(field.type, child_details)
            if complete is None:
                return None
            fields.append((response_key, _reader(field), complete))

        def complete_object(source: Any) -> dict[str, Any]:
            return {key: complete(read(source)) for key, read, complete in fields}

        return complete_object

    def compile_field(self, of_type: GraphQLOutputType, details: list[FieldDetails]) -> Complete | None:
        """Return the plan that completes a value of ``of_type`` for the field of ``details``, or None."""
        middleware = self.middleware_manager
        if middleware is not None and middleware.middlewares:
            return None
        return self._compile(of_type, details)

    def _compile(self, of_type: GraphQLOutputType, details: list[FieldDetails]) -> Complete | None:
        if is_non_null_type(of_type):
            return _non_null(self._compile(of_type.of_type, details))
        if is_list_type(of_type):
            return _list_of(self._compile(of_type.of_type, details))
        if is_leaf_type(of_type):
            complete = _leaf(of_type.coerce_output_value, self.is_awaitable)
            if of_type is GraphQLString:
                return _string(complete)
            return _enum(of_type, complete) if isinstance(of_type, GraphQLEnumType) else complete
        if is_object_type(of_type):
            return _nullable(self._object_plan(of_type, details), self.is_awaitable)
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


def attempt(plan: Complete, value: Any) -> Any:
    """Return ``plan(value)``, or ``GAVE_UP`` for graphql-core to complete the value and report the error."""
    try:
        return plan(value)
    except Exception:  # noqa: BLE001 - any failure: graphql-core's own run raises it where it belongs
        return GAVE_UP


def _basic(field: GraphQLField) -> bool:
    """True for a field strawberry resolves by reading an attribute, with nothing around the read.

    ``_get_basic_result`` is the resolver strawberry 0.341 gives a field with no resolver,
    no extension (permission classes are one) and no exception handler. The hub's tests
    fail if a later strawberry renames it, since the plain lookup would then lose its plans.
    """
    definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    return (
        isinstance(definition, StrawberryField)
        and definition.is_basic_field
        and not field.args
        and getattr(field.resolve, "__name__", "") == "_get_basic_result"
    )


def _reader(field: GraphQLField) -> Complete:
    """Return a function that reads ``field`` from its parent object, as its resolver would.

    With strawberry's default resolver (``getattr``) that is an ``attrgetter`` of the
    attribute's name, which skips the two calls of the resolver strawberry wraps around it.
    """
    definition: StrawberryField = field.extensions[GraphQLCoreConverter.DEFINITION_BACKREF]
    if definition.default_resolver is getattr:
        return operator.attrgetter(definition.python_name)
    resolve = field.resolve
    if resolve is None:  # not a strawberry field: ``_basic`` admits only strawberry's own resolver
        raise ValueError(f"field {definition.python_name} has no resolver to plan with")
    return lambda source: resolve(source, None)


def _missing(value: Any) -> bool:
    """True for a value graphql-core completes as null: None or ``Undefined``."""
    return value is None or value is Undefined


def _constant(value: str) -> Complete:
    return lambda _source: value


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
        if _missing(value):
            return None
        if not isinstance(value, list | tuple):  # an exception or an awaitable among others
            raise GiveUp
        return [inner(item) for item in value]

    return complete_list


def _leaf(coerce: Callable[[Any], Any], is_awaitable: Callable[[Any], bool]) -> Complete:
    def complete_leaf(value: Any) -> Any:
        if _missing(value):
            return None
        # graphql-core awaits an awaitable and reports an exception. A lenient scalar (JSON,
        # Decimal) would serialize either without complaint.
        if isinstance(value, Exception) or is_awaitable(value):
            raise GiveUp
        coerced = coerce(value)
        if coerced is None or coerced is Undefined:
            raise GiveUp
        return coerced

    return complete_leaf


def _string(complete: Complete) -> Complete:
    """Return a str unchanged, as graphql-core's ``String`` serializer does; pass anything else on."""

    def complete_string(value: Any) -> Any:
        return value if type(value) is str else complete(value)

    return complete_string


def _enum(of_type: GraphQLEnumType, complete: Complete) -> Complete:
    """Return the name of a member of the enum's Python class by lookup; pass anything else on.

    strawberry's enum type finds the name by comparing the member's value with each of the
    enum's values in turn. The table is built by the same comparison, once per plan.
    """
    wrapped = getattr(of_type, "wrapped_cls", None)
    if wrapped is None:
        return complete
    names: dict[Any, str] = {}
    for member in wrapped:
        found = next((name for name, value in of_type.values.items() if value.value == member.value), None)
        if found is not None:
            names[member] = found

    def complete_enum(value: Any) -> Any:
        if type(value) is wrapped and value in names:
            return names[value]
        return complete(value)

    return complete_enum


def _nullable(plan: Complete | None, is_awaitable: Callable[[Any], bool]) -> Complete | None:
    if plan is None:
        return None

    def complete_object(value: Any) -> Any:
        if _missing(value):
            return None
        # A selection of only __typename reads nothing from the value, so nothing else would fail.
        if isinstance(value, Exception) or is_awaitable(value):
            raise GiveUp
        return plan(value)

    return complete_object
