"""Call a root field's strawberry resolver without the wrapper strawberry puts around it.

For every call, strawberry's resolver wrapper builds its ``Info`` and converts the
arguments against each argument's type. It looks up which reserved parameters (``self``,
``root``, ``info``) the function takes, chains the field's extensions with
``functools.reduce`` and awaits the result in a coroutine of its own. For a field whose
arguments are plain scalars and enums, with no extension (permission classes are one) and
no exception handler, all that comes down to renaming the arguments and passing ``info``.
strawberry passes leaf values through unchanged, because graphql-core has already coerced
them, enums into their Python members. ``direct_resolver`` works that out once per field
and returns a call that does only that. In one process it took a warm lookup from about
0.32 to 0.29 ms of CPU (``bench.lookup_cost``).

Any other field keeps strawberry's wrapper: ``direct_resolver`` returns None for it.
``tests/test_resolver_call.py`` checks that the lookup takes this call and that both
calls give the same results, and ``tests/test_direct_execution.py`` compares whole
responses with strawberry's own execution.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLField, GraphQLResolveInfo
from strawberry import ID
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.base import StrawberryMaybe, StrawberryOptional
from strawberry.types.enum import StrawberryEnumDefinition, has_enum_definition
from strawberry.types.field import StrawberryField

# A resolver call: graphql-core's resolve info and coerced arguments in, the field's value
# (or an awaitable of it) out. The source is the root value, which the hub leaves None.
Resolve = Callable[[GraphQLResolveInfo[Any], dict[str, Any]], Any]

# Scalars whose coerced value strawberry passes to the resolver as it is.
PLAIN_SCALARS: tuple[object, ...] = (str, int, float, bool, ID)


def direct_resolver(field: GraphQLField, converter: GraphQLCoreConverter) -> Resolve | None:
    """Return a call of ``field``'s resolver that skips strawberry's wrapper, or None where it may not."""
    definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(definition, StrawberryField) or definition.extensions or definition.permission_classes:
        return None
    resolver = definition.base_resolver
    # strawberry matches exception handlers to each field when it builds the schema. Without
    # that method (a later strawberry) no exception handler can be ruled out, so the wrapper stays.
    handlers = getattr(converter, "_get_field_exception_handlers", None)
    if resolver is None or handlers is None or handlers(definition):
        return None
    config = converter.config
    renames: list[tuple[str, str]] = []
    for argument in definition.arguments:
        if not _passed_through(argument.type):
            return None
        renames.append((config.name_converter.from_argument(argument), argument.python_name))

    # Each reserved parameter the function takes: ``self`` positionally, ``root`` and
    # ``parent`` by name, all three the root value (None); ``info`` by name.
    positional = [None] if resolver.self_parameter else []
    reserved = (resolver.root_parameter, resolver.parent_parameter)
    sources = {parameter.name: None for parameter in reserved if parameter is not None}
    info_name = resolver.info_parameter.name if resolver.info_parameter else None
    info_class = config.info_class
    function = resolver.wrapped_func
    if not callable(function):
        return None

    def call(info: GraphQLResolveInfo[Any], args: dict[str, Any]) -> Any:
        kwargs = {python: args[graphql] for graphql, python in renames if graphql in args}
        if sources:
            kwargs.update(sources)
        if info_name is not None:
            kwargs[info_name] = info_class(_raw_info=info, _field=definition)
        return function(*positional, **kwargs)

    return call


def _passed_through(type_: object) -> bool:
    """Tell whether an argument type whose coerced value strawberry gives the resolver unchanged."""
    if isinstance(type_, StrawberryMaybe):  # strawberry wraps its value in ``Some``
        return False
    if isinstance(type_, StrawberryOptional):
        type_ = type_.of_type
    if isinstance(type_, StrawberryEnumDefinition) or has_enum_definition(type_):
        return True
    return any(type_ is scalar for scalar in PLAIN_SCALARS)
