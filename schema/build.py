"""Assemble the strawberry schema with the hub's error handling and query limits."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    Node,
    NoSchemaIntrospectionCustomRule,
    ValidationContext,
    ValidationRule,
    Visitor,
    parse,
    specified_rules,
    visit,
)
from strawberry.extensions import SchemaExtension
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import validate_document
from strawberry.tools import merge_types

from hub import tracing
from schema.direct import DirectExecution
from schema.errors import HubErrors, HubSchema, ProductionHubErrors, error_code
from schema.health import HealthQuery
from schema.notices import Mutation, Subscription
from schema.people import PeopleMutation, PeopleQuery
from schema.plan import PlannedExecutionContext
from schema.query import Query

if TYPE_CHECKING:
    from opentelemetry.trace import Span

RootQuery = merge_types("Query", (Query, PeopleQuery, HealthQuery))
RootMutation = merge_types("Mutation", (Mutation, PeopleMutation))

MAX_DEPTH = 10
MAX_TOKENS = 5000
MAX_ALIASES = 30
# Maximum chain of fragments spread inside fragments: an estimate well above what front-end
# queries use.
MAX_FRAGMENT_NESTING = 50
# Distinct query texts kept parsed and validated; an LRU, so unique texts cannot grow memory.
DOCUMENT_CACHE_SIZE = 256

# Built once: QueryDepthLimiter and MaxAliasesLimiter make a new rule class per request,
# which would give ValidationCache (keyed by the rules) a miss on every request. The same
# rules as those limiters, so the limits still reject; tests/perf/test_schema_cache.py checks.
_STRAWBERRY_DEPTH_RULE = depth_rule(MAX_DEPTH, None)
ALIAS_RULE = alias_rule(MAX_ALIASES)


class DEPTH_RULE(ValidationRule):  # noqa: N801 - named as the rule constant it replaces
    """strawberry's depth limit, run only on documents whose fragments all resolve.

    strawberry's rule follows fragment spreads recursively without checking them, so an
    undefined fragment raised ``KeyError``, a fragment cycle recursed without end and a long
    chain of fragments hit Python's recursion limit, all outside the error handling.
    graphql-core's own rules report undefined and cyclic fragments; a chain deeper than
    ``MAX_FRAGMENT_NESTING`` is reported here.
    """

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        nesting = _fragment_nesting(context.document)
        if nesting is None:
            return
        if nesting > MAX_FRAGMENT_NESTING:
            context.report_error(
                GraphQLError(f"Fragment spreads are nested {nesting} deep, more than {MAX_FRAGMENT_NESTING}.")
            )
            return
        _STRAWBERRY_DEPTH_RULE(context)


def _fragment_nesting(document: DocumentNode) -> int | None:
    """Return the longest chain of fragment spreads, or None for an undefined or cyclic fragment."""
    spreads: dict[str, set[str]] = {}
    top_level: set[str] = set()
    for definition in document.definitions:
        names = {node.name.value for node in _spreads_in(definition)}
        if isinstance(definition, FragmentDefinitionNode):
            spreads[definition.name.value] = names
        else:
            top_level |= names
    if any(not names <= spreads.keys() for names in (top_level, *spreads.values())):
        return None
    return _longest_chain(spreads)


def _longest_chain(edges: dict[str, set[str]]) -> int | None:
    """Return the most nodes on one path through ``edges``, or None when there is a cycle.

    The explicit stack keeps a long chain off Python's call stack.
    """
    length: dict[str, int] = {}
    for start in edges:
        if start in length:
            continue
        on_path = {start}
        stack = [(start, iter(edges[start]))]
        while stack:
            name, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                on_path.discard(name)
                length[name] = 1 + max((length[c] for c in edges[name]), default=0)
            elif child in on_path:
                return None
            elif child not in length:
                on_path.add(child)
                stack.append((child, iter(edges[child])))
    return max(length.values(), default=0)


def _spreads_in(node: Node) -> list[FragmentSpreadNode]:
    found: list[FragmentSpreadNode] = []

    class Collect(Visitor):
        def enter_fragment_spread(self, spread: FragmentSpreadNode, *_: object) -> None:
            found.append(spread)

    visit(node, Collect())
    return found


# LRUs, so unique texts cannot grow memory. Parsing is keyed by the query text and parse
# options (the token limit among them). Validation is keyed by the schema, the rules and
# the parsed document itself (``SameDocument``): the parse cache returns one document per
# text, so a text that parses once validates once.
_cached_parse = functools.lru_cache(maxsize=DOCUMENT_CACHE_SIZE)(parse)


class SameDocument:
    """A parsed document compared by identity, as a cache key.

    graphql-core 3.3 hashes a syntax tree node by node on every call, which cost more than
    the rest of a cached validation. The key keeps a reference to the document, so no other
    object can take its id while the key is cached.
    """

    __slots__ = ("document",)

    def __init__(self, document: DocumentNode) -> None:
        self.document = document

    def __hash__(self) -> int:
        return id(self.document)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SameDocument) and other.document is self.document


@functools.lru_cache(maxsize=DOCUMENT_CACHE_SIZE)
def _cached_validate(
    schema: GraphQLSchema, document: SameDocument, rules: tuple[type[ASTValidationRule], ...]
) -> list[GraphQLError]:
    return validate_document(schema, document.document, rules)


class DocumentLimits(SchemaExtension):
    """Apply the token, depth and alias limits, parsing and validating each query text once.

    One extension, with one hook, for what strawberry's ``MaxTokensLimiter``,
    ``AddValidationRules``, ``ParserCache`` and ``ValidationCache`` do, because strawberry
    builds every hook of every extension anew on each request. The hook parses and validates
    before strawberry's own steps, which then find both done. A query that fails to parse
    here is left to strawberry's parse step, which turns the error into a GraphQL error with
    a code. Raised from this hook, the error would escape that step.
    """

    # Rules added to the limits: production adds the one that rejects introspection, here
    # rather than by strawberry's DisableIntrospection, whose rules would arrive only after
    # this hook has validated.
    extra_rules: tuple[type[ASTValidationRule], ...] = ()

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = MAX_TOKENS
        context.validation_rules = (*context.validation_rules, DEPTH_RULE, ALIAS_RULE, *self.extra_rules)
        if context.query and context.graphql_document is None:
            with contextlib.suppress(GraphQLError):
                context.graphql_document = _cached_parse(context.query, **context.parse_options)
        document = context.graphql_document
        if document is not None and context.pre_execution_errors is None:
            context.pre_execution_errors = _cached_validate(
                context.schema._schema, SameDocument(document), context.validation_rules
            )
        yield

    @classmethod
    def valid_document(cls, schema: GraphQLSchema, query: str) -> DocumentNode | None:
        """Return ``query`` parsed, from the same caches as the hook, if it parses and validates cleanly."""
        try:
            document = _cached_parse(query, max_tokens=MAX_TOKENS)
        except GraphQLError:
            return None
        return None if _cached_validate(schema, SameDocument(document), cls._rules()) else document

    @classmethod
    @functools.cache
    def _rules(cls) -> tuple[type[ASTValidationRule], ...]:
        """Return the rules the hook validates with, built once per class."""
        return (*specified_rules, DEPTH_RULE, ALIAS_RULE, *cls.extra_rules)


class ProductionDocumentLimits(DocumentLimits):
    """The limits, and no introspection: nothing to discover the schema with in production."""

    extra_rules = (NoSchemaIntrospectionCustomRule,)


class OperationSpan(SchemaExtension):
    """Trace each GraphQL operation as one span: its type, its name and the error codes returned.

    The codes are the ones the client sees (``schema.errors.error_code``). The operation
    name is the caller's text, so it is masked and cut like every span text.
    """

    def on_operation(self) -> Iterator[None]:
        with tracing.span("graphql.operation") as current:
            try:
                yield
            finally:
                if current is not None:
                    self._describe(current)

    def _describe(self, current: Span) -> None:
        context = self.execution_context
        name = tracing.safe_text(context.operation_name or "anonymous")
        try:
            kind = context.operation_type.value
        except Exception:  # no document, or no operation of that name in it
            kind = "unknown"
        current.update_name(f"graphql {kind} {name}")
        current.set_attribute("graphql.operation.type", kind)
        current.set_attribute("graphql.operation.name", name)
        errors = context.result.errors if context.result is not None else None
        if errors:
            current.set_attribute("hub.error_codes", sorted({error_code(error) for error in errors}))


def build_schema(*, production: bool, traced: bool = False) -> HubSchema:
    """Build the schema with query limits; production also hides introspection and field hints.

    Development keeps the same limits, so a query that works there works in production; its
    introspection stays on for GraphiQL. ``traced`` adds a span per operation.
    """
    # The depth limiter skips introspection fields, so production turns introspection off.
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        ProductionHubErrors if production else HubErrors
    ]
    if traced:
        # Before DocumentLimits, whose hook parses and validates: the span covers both.
        extensions.append(OperationSpan)
    limits = ProductionDocumentLimits if production else DocumentLimits
    extensions.append(limits)
    config = StrawberryConfig(disable_field_suggestions=production)
    schema = HubSchema(
        query=RootQuery,
        mutation=RootMutation,
        subscription=Subscription,
        extensions=extensions,
        config=config,
        execution_context_class=PlannedExecutionContext,
    )
    if not traced and not schema.directives:
        # The span's hook has no direct equivalent: a traced schema keeps strawberry's path.
        prepare = functools.partial(limits.valid_document, schema._schema)
        schema.direct = DirectExecution(schema, prepare, hide_suggestions=production)
    return schema
