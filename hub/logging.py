"""Logging for the hub: one line per request, a request id on every line, masked personal data.

Every record passes through ``MaskingFormatter``, which masks anything shaped like a
resident ID number (15 or 18 characters) in the message and in tracebacks, so a value
that slips into a log line still never appears whole. Names cannot be recognised in free
text: code that logs a name masks it with ``mask_text(..., names=[...])`` or ``mask_name``.
"""

from __future__ import annotations

import contextvars
import logging
import re
import sys
import time
import uuid
from collections.abc import Iterable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters.idnumber import mask_id_number, mask_name

__all__ = [
    "MaskingFormatter",
    "RequestLogMiddleware",
    "configure_logging",
    "mask_name",
    "mask_text",
    "request_id",
]

logger = logging.getLogger("hub.access")

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
REQUEST_ID_HEADER = "x-request-id"

_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[0-9Xx]|\d{15})(?![0-9A-Za-z])")
_CLIENT_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def mask_text(text: str, *, names: Iterable[str] = ()) -> str:
    """Mask every ID-number-shaped value in ``text``, and each of ``names`` where it occurs."""
    masked = _ID_NUMBER.sub(lambda match: mask_id_number(match.group()), text)
    for name in names:
        if name:
            masked = masked.replace(name, mask_name(name))
    return masked


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class MaskingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return mask_text(super().format(record))


def configure_logging(level: str = "INFO") -> None:
    """Send every logger's records to stderr, one masked line each, at ``level`` and above."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(MaskingFormatter(LOG_FORMAT))
    handler.addFilter(RequestIdFilter())

    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


class RequestLogMiddleware:
    """Log one INFO line per HTTP request (method, path, status, milliseconds) under a request id.

    The id comes from the client's ``X-Request-ID`` when that is a short token, else a new
    one; it is echoed in the response. The query string is not logged because it may carry
    an ID number.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        rid = _incoming_request_id(scope) or uuid.uuid4().hex[:16]
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append(REQUEST_ID_HEADER, rid)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000
            logger.info("%s %s %d %.1fms", scope["method"], scope["path"], status, elapsed_ms)
            request_id.reset(token)


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER.encode():
            text = value.decode("latin-1")
            return text if _CLIENT_REQUEST_ID.fullmatch(text) else None
    return None
