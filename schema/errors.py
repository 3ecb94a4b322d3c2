"""Error handling of the GraphQL layer: each error is logged once, localised, and masked when unexpected.

``HubSchema.process_errors`` is the one place that logs GraphQL errors; strawberry calls
it with the original exceptions before extensions rewrite them. ``HubErrors`` then turns
each error into what a client may see:

- a ``HubError`` keeps its message, rendered in the request's language (zh-CN unless
  the client asked for English), with ``extensions.code`` and the error's attributes
  (``part`` of an invalid ID number, ``agency`` of an upstream failure);
- any other exception becomes ``INTERNAL_SERVER_ERROR`` with no detail;
- parse and validation errors from graphql-core keep their English text and get a code.

Resolvers that still return data report failures through ``info.context.partial_errors``;
``HubErrors`` adds one error per entry, so data and errors arrive together.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import strawberry
from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from adapters.errors import HubError, InvalidIdNumber, PurposeRequired, RateLimited, UpstreamError
from schema.context import PartialError

logger = logging.getLogger(__name__)

INTERNAL_CODE = "INTERNAL_SERVER_ERROR"
PARSE_CODE = "GRAPHQL_PARSE_FAILED"
VALIDATION_CODE = "GRAPHQL_VALIDATION_FAILED"


class HubSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            log_error(error)


def log_error(error: GraphQLError) -> None:
    """Log one GraphQL error: a HubError by code without traceback, anything else in full.

    Messages are not logged for HubErrors because they quote the input (an ID number).
    """
    original = error.original_error
    path = ".".join(str(key) for key in error.path or ())
    if original is None or isinstance(original, GraphQLError):
        logger.info("graphql request error at %s: %s", path or "-", error.message)
    elif isinstance(original, HubError):
        level = logging.WARNING if isinstance(original, UpstreamError) else logging.INFO
        details = " ".join(f"{key}={value}" for key, value in _attributes(original).items())
        logger.log(level, "graphql error at %s: code=%s %s", path, original.code, details)
    else:
        logger.error("unexpected error at %s", path, exc_info=original)


class HubErrors(SchemaExtension):
    """Add partial errors, localise hub errors and mask everything unexpected."""

    hide_suggestions = False

    def on_execute(self) -> Iterator[None]:
        yield

        partial = _partial_errors(self.execution_context.context)
        if not partial:
            return
        errors = [
            GraphQLError(item.error.render("en"), path=list(item.path), original_error=item.error)
            for item in partial
        ]
        self.execution_context.schema.process_errors(errors, self.execution_context)
        result = self.execution_context.result
        if result is not None:
            result.errors = [*(result.errors or []), *errors]

    def on_operation(self) -> Iterator[None]:
        yield

        result = self.execution_context.result
        if result is None or not result.errors:
            return
        language = _language(self.execution_context.context)
        result.errors = [client_error(error, language, self.hide_suggestions) for error in result.errors]

    def on_stream_result(self, result: Any) -> Iterator[None]:
        # Subscription events skip on_operation: each one is localised and masked here.
        errors = getattr(result, "errors", None)
        if errors:
            language = _language(self.execution_context.context)
            result.errors = [client_error(error, language, self.hide_suggestions) for error in errors]
        yield


class ProductionHubErrors(HubErrors):
    """``HubErrors`` that also drops graphql-core's "Did you mean" hints, which reveal the schema."""

    hide_suggestions = True


def client_error(error: GraphQLError, language: str, hide_suggestions: bool = False) -> GraphQLError:
    """Return the error as a client may see it, in ``language`` (``zh`` or ``en``)."""
    original = error.original_error
    if isinstance(original, HubError):
        extensions = {"code": original.code, **_attributes(original)}
        return _rebuilt(error, original.render(language), extensions)
    if original is not None and not isinstance(original, GraphQLError):
        return _rebuilt(error, HubError().render(language), {"code": INTERNAL_CODE})
    if error.extensions and "code" in error.extensions:
        return error
    code = PARSE_CODE if isinstance(error, GraphQLSyntaxError) else VALIDATION_CODE
    message = without_suggestions(error.message) if hide_suggestions else error.message
    return _rebuilt(error, message, {**(error.extensions or {}), "code": code})


def without_suggestions(message: str) -> str:
    """Cut graphql-core's hint ("Did you mean 'x'?") that follows the diagnosis in a message."""
    cut = message.find(" Did you mean")
    return message if cut < 0 else message[:cut]


def _rebuilt(error: GraphQLError, message: str, extensions: dict[str, Any]) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=extensions,
    )


def _attributes(error: HubError) -> dict[str, str]:
    """Public attributes of an error for ``extensions``; values are never ID numbers."""
    if isinstance(error, InvalidIdNumber):
        return {"part": error.part}
    if isinstance(error, UpstreamError):
        return {"agency": error.agency, "operation": error.operation}
    if isinstance(error, RateLimited):
        return {"operation": error.operation, "window": error.window, "retryAfterS": str(error.retry_after_s)}
    if isinstance(error, PurposeRequired):
        return {"part": error.part}
    return {}


def _partial_errors(context: object) -> list[PartialError]:
    errors = getattr(context, "partial_errors", None)
    return errors if isinstance(errors, list) else []


def _language(context: object) -> str:
    language = getattr(context, "language", "zh")
    return "en" if language == "en" else "zh"
