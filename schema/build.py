"""Assemble the strawberry schema with the hub's error handling and query limits."""

from __future__ import annotations

from collections.abc import Callable

from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
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


def build_schema(*, production: bool) -> HubSchema:
    """Build the schema with query limits; production also hides introspection and field hints.

    Development keeps the same limits, so a query that works there works in production; its
    introspection stays on for GraphiQL. Limits come as factories because strawberry
    deprecates extension instances.
    """
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        ProductionHubErrors if production else HubErrors,
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
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
