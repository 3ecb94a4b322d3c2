"""The GraphQL endpoint with authentication in front: no operation runs without a valid token.

``POST /graphql`` needs ``Authorization: Bearer <token>``; without a token the hub
answers 401 with one ``UNAUTHENTICATED`` GraphQL error and no ``data``. A caller past their
request quota gets 429 with ``RATE_LIMITED``. ``GET /graphql`` serves only the GraphiQL page
(development), which sends the token from its headers editor with every operation. A
WebSocket must carry ``{"authorization": "Bearer <token>"}`` in ``connection_init``, or it
is closed with 4403 before any subscription starts.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError

from adapters.errors import HubError, RateLimited, Unauthenticated
from hub.auth import Principal, TokenVerifier
from hub.context import RequestContext, Services
from hub.language import preferred_language
from hub.rate_limit import REQUESTS, RateLimiter
from schema import build_schema

logger = logging.getLogger(__name__)

PRINCIPAL_KEY = "hub.principal"


class HubGraphQL(GraphQL[RequestContext, None]):
    def __init__(
        self, services: Services, verifier: TokenVerifier, limiter: RateLimiter, *, production: bool
    ) -> None:
        super().__init__(
            build_schema(production=production),
            graphql_ide=None if production else "graphiql",
            allow_queries_via_get=False,
        )
        self.services = services
        self.verifier = verifier
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("method") == "POST":
            request = Request(scope, receive)
            try:
                principal = self.verifier.principal_from_header(request.headers.get("authorization"))
                await self.limiter.hit(principal.user_id, REQUESTS)
            except (Unauthenticated, RateLimited) as exc:
                await rejection_response(exc, request)(scope, receive, send)
                return
            scope[PRINCIPAL_KEY] = principal
        await super().__call__(scope, receive, send)

    def decode_json(self, data: str | bytes) -> object:
        # strawberry 0.341 returns 500 for a body that is not UTF-8 or not a JSON object, although
        # both are client errors, so they get 400 here. Batched requests are not enabled.
        try:
            decoded = json.loads(data)
        except UnicodeDecodeError as exc:
            raise HTTPException(400, "The request body is not UTF-8 JSON") from exc
        if not isinstance(decoded, dict):
            raise HTTPException(400, "The request body must be a JSON object")
        return decoded

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> RequestContext:
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
    body = {"errors": [{"message": error.render(language), "extensions": extensions}]}
    return JSONResponse(body, status_code=status, headers=headers)
