"""The GraphQL endpoint with authentication in front: no operation runs without a valid token.

``POST /graphql`` needs ``Authorization: Bearer <token>``; without a token the hub
answers 401 with one ``UNAUTHENTICATED`` GraphQL error and no ``data``. A caller past their
request quota gets 429 with ``RATE_LIMITED``. ``GET /graphql`` serves only the GraphiQL page
(development), which sends the token from its headers editor with every operation. A GET
carrying an operation, in its query string or as a JSON body, gets 400 ``BAD_REQUEST``. A
WebSocket must carry ``{"authorization": "Bearer <token>"}`` in ``connection_init``, or it
is closed with 4403 before any subscription starts.

A request the hub cannot read as a GraphQL request (a body that is not a UTF-8 JSON
object, a missing query, an unknown ``operationName``) gets 400 with one ``BAD_REQUEST``
GraphQL error in the caller's language, where strawberry would return plain English text.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import orjson
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError, MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from adapters.errors import HubError, RateLimited, Unauthenticated
from hub import tracing
from hub.auth import Principal, TokenVerifier
from hub.context import RequestContext, Services
from hub.language import preferred_language
from hub.limits import error_response
from hub.rate_limit import REQUESTS, RateLimiter
from schema import build_schema

logger = logging.getLogger(__name__)

PRINCIPAL_KEY = "hub.principal"
POST_OPERATIONS = OperationType.from_http("POST")
BAD_REQUEST_CODE = "BAD_REQUEST"

# strawberry 0.341's fixed reasons for a 400, by the MESSAGES key that words each one.
STRAWBERRY_REASONS = {
    "Unable to parse request body as JSON": "request.not_json",
    "Unsupported content type": "request.content_type",
    "No GraphQL query found in the request": "request.no_query",
    "The GraphQL operation's `query` must be a string or null, if provided.": "request.query_type",
    "The GraphQL operation's `variables` must be an object or null, if provided.": "request.variables_type",
    "The GraphQL operation's `extensions` must be an object or null, if provided.": "request.extensions_type",
    "Can't get GraphQL operation type": "request.no_operation",
}
UNKNOWN_OPERATION = re.compile(r'^Unknown operation named "(?P<name>.*)"\.$', re.DOTALL)
OPERATION_NOT_ALLOWED = re.compile(
    r"^(?P<operations>queries|mutations|subscriptions) are not allowed when using (?P<method>\w+)$"
)
OPERATIONS_ZH = {"queries": "查询", "mutations": "变更", "subscriptions": "订阅"}


# 19 digits in a row may exceed a signed 64-bit integer, which orjson cannot read exactly.
_LONG_DIGITS = re.compile(rb"\d{19}")


def encode_json(data: object) -> bytes:
    """Encode a response body as compact UTF-8 JSON, Chinese names unescaped so a curl response reads.

    The JSON values are those ``json.dumps`` gives. The text of a float can differ: orjson
    writes ``0.00001`` where ``json.dumps`` writes ``1e-05``.
    """
    try:
        return orjson.dumps(data)
    except TypeError:
        # A value orjson does not encode, such as an integer past 64 bits: the standard library does.
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class BadRequest(HTTPException):
    """A 400 whose message is a ``MESSAGES`` entry, so it can be rendered in either language."""

    def __init__(self, key: str, **params: Any) -> None:
        self.error = HubError(key, **params)
        super().__init__(400, self.error.render("en"))


class HubGraphQL(GraphQL[RequestContext, None]):
    def __init__(
        self, services: Services, verifier: TokenVerifier, limiter: RateLimiter, *, production: bool
    ) -> None:
        super().__init__(
            build_schema(production=production, traced=tracing.enabled()),
            graphql_ide=None if production else "graphiql",
            allow_queries_via_get=False,
        )
        self.services = services
        self.verifier = verifier
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        if scope.get("method") == "GET" and ("query" in request.query_params or _json_body(request)):
            # GET serves only the GraphiQL page. strawberry would run a subscription sent over
            # GET (multipart) before any token check, so operations there are refused outright.
            await bad_request_response(BadRequest("request.get_operation"), request)(scope, receive, send)
            return
        if scope.get("method") == "POST":
            try:
                principal = self.verifier.principal_from_header(request.headers.get("authorization"))
                await self.limiter.hit(principal.user_id, REQUESTS)
            except (Unauthenticated, RateLimited) as exc:
                await rejection_response(exc, request)(scope, receive, send)
                return
            scope[PRINCIPAL_KEY] = principal
        # What strawberry's own __call__ does for HTTP, except that a 400 gets a GraphQL error.
        try:
            if _plain_json_post(request):
                response = await self._run_json(request)
            else:
                response = await self.run(request)
        except HTTPException as exc:
            if exc.status_code != 400:
                response = PlainTextResponse(exc.reason, status_code=exc.status_code)
            else:
                response = bad_request_response(exc, request)
        await response(scope, receive, send)

    async def _run_json(self, request: Request) -> Response:
        """Execute a POSTed JSON operation as strawberry's ``run`` does, without its generic steps.

        ``run`` serves every transport: it wraps the request in an adapter, parses the content
        type and the Accept header, and checks the result against a runtime protocol. For the
        hub's usual request, a POSTed JSON body with a JSON response, a profile put those steps
        at about 5 % of a warm lookup's CPU. The body is checked as strawberry checks it, and a 400
        carries strawberry's reason, so ``bad_request_response`` words it as before. The
        context has no response for resolvers to change, so the response is always 200 JSON.
        """
        data = self.parse_json(await request.body())
        query, variables, extensions = data.get("query"), data.get("variables"), data.get("extensions")
        if not isinstance(query, str | None):
            raise BadRequest("request.query_type")
        if not isinstance(variables, dict | None):
            raise BadRequest("request.variables_type")
        if not isinstance(extensions, dict | None):
            raise BadRequest("request.extensions_type")
        context = self._context(request)
        try:
            result = await self.schema.execute(
                query,
                variable_values=variables,
                context_value=context,
                operation_name=data.get("operationName"),
                allowed_operation_types=POST_OPERATIONS,
                operation_extensions=extensions,
            )
        except CannotGetOperationTypeError as exc:
            raise HTTPException(400, exc.as_http_error_reason()) from exc
        except InvalidOperationTypeError as exc:
            raise HTTPException(400, exc.as_http_error_reason("POST")) from exc
        except MissingQueryError as exc:
            raise HTTPException(400, "No GraphQL query found in the request") from exc
        payload = await self.process_result(request, result)
        return Response(self.encode_json(payload), media_type="application/json")

    def encode_json(self, data: object) -> bytes:
        return encode_json(data)

    def decode_json(self, data: str | bytes) -> object:
        # strawberry 0.341 returns 500 for a body that is not UTF-8 or not a JSON object, although
        # both are client errors, so they get 400 here. Batched requests are not enabled.
        decoded = _fast_decode(data)
        if decoded is None:
            # orjson rejects what Python's parser accepts (NaN, Infinity) and reports bad UTF-8
            # as bad JSON, so the standard parser decides and words the 400.
            try:
                decoded = json.loads(data)
            except UnicodeDecodeError as exc:
                raise BadRequest("request.not_utf8") from exc
            except json.JSONDecodeError as exc:
                raise BadRequest("request.not_json") from exc
        if isinstance(decoded, list):
            raise BadRequest("request.batch")
        if not isinstance(decoded, dict):
            raise BadRequest("request.not_object")
        return decoded

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> RequestContext:
        return self._context(request)

    def _context(self, request: Request | WebSocket) -> RequestContext:
        language = preferred_language(request.headers.get("accept-language"))
        principal = request.scope.get(PRINCIPAL_KEY)
        return RequestContext(
            services=self.services,
            language=language,
            principal=principal if isinstance(principal, Principal) else None,
        )

    async def on_ws_connect(self, context: RequestContext) -> dict[str, object] | None:
        params = context.connection_params or {}
        header = params.get("authorization") or params.get("Authorization")
        try:
            context.principal = self.verifier.principal_from_header(
                header if isinstance(header, str) else None
            )
        except Unauthenticated as exc:
            raise ConnectionRejectionError(
                {"code": exc.code, "message": exc.render(context.language)}
            ) from exc
        return None


def _fast_decode(data: str | bytes) -> object | None:
    """Decode ``data`` with orjson; None when it fails, or for a body it would not read exactly.

    orjson reads an integer past 64 bits as a float, so a body with a long run of digits
    is left to the standard parser, which keeps every digit.
    """
    raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
    if _LONG_DIGITS.search(raw):
        return None
    try:
        decoded: object = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return decoded


def _plain_json_post(request: Request) -> bool:
    """Return whether ``HubGraphQL._run_json`` may serve ``request``: a POSTed JSON body, a JSON response.

    Anything else (multipart, another content type, an Accept header asking for a
    multipart or event stream) goes through strawberry's ``run``, which handles every case.
    """
    if request.method != "POST" or not _json_body(request):  # only a POST passed the token check
        return False
    accept = request.headers.get("accept", "")
    return "multipart" not in accept and "event-stream" not in accept


def _json_body(request: Request) -> bool:
    """Return whether the Content-Type of ``request`` is ``application/json``, with any parameters."""
    content_type = request.headers.get("content-type", "")
    return content_type.partition(";")[0].strip().lower() == "application/json"


def bad_request_response(exc: HTTPException, request: Request) -> JSONResponse:
    """Build a 400 with one ``BAD_REQUEST`` GraphQL error and no ``data``, in the caller's language.

    strawberry's fixed reasons get a catalog text in either language. Any other reason
    is kept as the English text, and zh-CN callers get a generic one.
    """
    logger.info("graphql request rejected with 400: %s", exc.reason)
    language = preferred_language(request.headers.get("accept-language"))
    error = exc.error if isinstance(exc, BadRequest) else _strawberry_error(exc.reason)
    if error is not None:
        message = error.render(language)
    elif language == "en" and exc.reason:
        message = exc.reason
    else:
        message = HubError("request.invalid").render(language)
    return error_response(400, message, {"code": BAD_REQUEST_CODE})


def _strawberry_error(reason: str) -> HubError | None:
    if reason in STRAWBERRY_REASONS:
        return HubError(STRAWBERRY_REASONS[reason])
    if match := UNKNOWN_OPERATION.match(reason):
        return HubError("request.unknown_operation", name=match["name"])
    if match := OPERATION_NOT_ALLOWED.match(reason):
        operations = match["operations"]
        return HubError(
            "request.operation_not_allowed",
            method=match["method"],
            operations=operations.capitalize(),
            operation_zh=OPERATIONS_ZH[operations],
        )
    return None


def rejection_response(error: HubError, request: Request) -> JSONResponse:
    """Build a GraphQL-shaped error response without ``data``, in the caller's language."""
    language = preferred_language(request.headers.get("accept-language"))
    extensions: dict[str, Any] = {"code": error.code}
    headers: dict[str, str] = {}
    if isinstance(error, RateLimited):
        extensions["retryAfterS"] = error.retry_after_s
        headers["Retry-After"] = str(error.retry_after_s)
        status = 429
    else:
        headers["WWW-Authenticate"] = 'Bearer realm="hub"'
        status = 401
    return error_response(status, error.render(language), extensions, headers)
