"""Assemble the strawberry schema with the hub's error handling and query limits."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from schema.errors import HubErrors, HubSchema, ProductionHubErrors
from schema.notices import Mutation, Subscription
from schema.people import PeopleMutation, PeopleQuery
from schema.query import Query

RootQuery = merge_types("Query", (Query, PeopleQuery))
RootMutation = merge_types("Mutation", (Mutation, PeopleMutation))

MAX_DEPTH = 10
MAX_TOKENS = 5000
MAX_ALIASES = 30
# Distinct query texts kept parsed and validated; an LRU, so unique texts cannot grow memory.
DOCUMENT_CACHE_SIZE = 256

# Built once: QueryDepthLimiter and MaxAliasesLimiter make a new rule class per request,
# which would give ValidationCache (keyed by the rules) a miss on every request. The same
# rules as those limiters, so the limits still reject; tests/perf/test_schema_cache.py checks.
DEPTH_RULE = depth_rule(MAX_DEPTH, None)
ALIAS_RULE = alias_rule(MAX_ALIASES)


class HubParserCache(ParserCache):
    """``ParserCache`` that leaves a query it cannot parse to strawberry's own parse step.

    The plain extension raises a syntax or token-limit error from its hook, outside the step
    that turns it into a GraphQL error with a code. So a query that fails to parse here is
    parsed a second time in that step.
    """

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        with contextlib.suppress(GraphQLError):
            context.graphql_document = self.cached_parse_document(context.query, **context.parse_options)
        yield


def build_schema(*, production: bool) -> HubSchema:
    """Build the schema with query limits; production also hides introspection and field hints.

    Development keeps the same limits, so a query that works there works in production; its
    introspection stays on for GraphiQL. Limits come as factories because strawberry
    deprecates extension instances.
    """
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        ProductionHubErrors if production else HubErrors,
        # The token limit is a parse option, part of ParserCache's key: it still applies.
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: AddValidationRules([DEPTH_RULE, ALIAS_RULE]),
        lambda: HubParserCache(maxsize=DOCUMENT_CACHE_SIZE),
        lambda: ValidationCache(maxsize=DOCUMENT_CACHE_SIZE),
    ]
    if production:
        # The depth limiter skips introspection fields, so introspection goes off with it.
        extensions.append(DisableIntrospection)
    config = StrawberryConfig(disable_field_suggestions=production)
    return HubSchema(
        query=RootQuery,
        mutation=RootMutation,
        subscription=Subscription,
        extensions=extensions,
        config=config,
    )
