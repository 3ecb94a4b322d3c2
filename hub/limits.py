"""Reject request bodies larger than a configured number of bytes with 413.

A declared ``Content-Length`` over the limit is rejected before the body is read. A body
of a declared length within the limit passes unwrapped, because the server reads no more
than that length. A chunked body is counted as it arrives and rejected once it passes the
limit. The 413
carries one GraphQL error with code ``PAYLOAD_TOO_LARGE`` and no ``data``, in the
caller's ``Accept-Language``, as the hub's other rejected requests do.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters.errors import HubError
from hub.language import preferred_language

PAYLOAD_TOO_LARGE_CODE = "PAYLOAD_TOO_LARGE"


class BodyTooLarge(Exception):
    """Raised inside ``receive`` when the body passes the limit."""


class BodySizeLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        declared, chunked = _framing(scope)
        if declared is not None and declared > self.max_body_bytes:
            await self._reject(scope, receive, send)
            return
        if declared is not None and not chunked:
            # The server reads exactly the declared length as the body (RFC 9112, 6.3), so
            # there is nothing left to count.
            await self.app(scope, receive, send)
            return

        received = 0
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if response_started:
                raise
            await self._reject(scope, receive, send)

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        language = preferred_language(Headers(scope=scope).get("accept-language"))
        message = HubError("request.too_large", limit=self.max_body_bytes).render(language)
        response = error_response(413, message, {"code": PAYLOAD_TOO_LARGE_CODE})
        await response(scope, receive, send)


def error_response(
    status: int, message: str, extensions: dict[str, Any], headers: dict[str, str] | None = None
) -> JSONResponse:
    """Build a response of one GraphQL error and no ``data``, for a request refused before GraphQL runs."""
    body = {"errors": [{"message": message, "extensions": extensions}]}
    return JSONResponse(body, status_code=status, headers=headers)


def _framing(scope: Scope) -> tuple[int | None, bool]:
    """Return the declared ``Content-Length`` (None when absent or unreadable) and whether
    the request names a ``Transfer-Encoding``.

    With a ``Transfer-Encoding`` the declared length does not bound the body, so the body
    is counted. A declared length over the limit is rejected either way.
    """
    declared: int | None = None
    chunked = False
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                declared = int(value)
            except ValueError:
                declared = None
        elif name == b"transfer-encoding":
            chunked = True
    return declared, chunked
