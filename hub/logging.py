"""Logging for the hub: one line per request, a request id on every line, masked personal data.

Every record passes through ``MaskingFormatter``, which masks anything shaped like a
resident ID number (15 or 18 characters) in the message and in tracebacks, so a value
that slips into a log line still never appears whole. Names cannot be recognised in free
text: code that logs a name masks it with ``mask_text(..., names=[...])`` or ``mask_name``.
"""

from __future__ import annotations

import contextvars
import logging
import os
import random
import re
import sys
import time
from collections.abc import Callable, Iterable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters.idnumber import mask_id_number, mask_name
from hub import tracing

__all__ = [
    "MaskingFormatter",
    "RequestLogMiddleware",
    "configure_job_logging",
    "configure_logging",
    "mask_name",
    "mask_text",
    "request_id",
]

logger = logging.getLogger("hub.access")

JOB_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
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


def configure_job_logging() -> None:
    """Give a command-line job the masked stderr handler, at ``HUB_LOG_LEVEL`` or WARNING.

    A job's own results go to stdout; this keeps a library's warning from reaching stderr
    through Python's default handler, unmasked. A process that already has handlers (a test
    runner, or ``hub serve`` once it starts) keeps them.
    """
    if logging.getLogger().handlers:
        return
    level = (os.environ.get("HUB_LOG_LEVEL") or "").upper()
    configure_logging(level if level in JOB_LOG_LEVELS else "WARNING")


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

        rid = _incoming_request_id(scope) or new_request_id()
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
            if tracing.enabled():
                await self._traced(scope, receive, send_with_id, rid, lambda: status)
            else:
                await self.app(scope, receive, send_with_id)
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000
            logger.info("%s %s %d %.1fms", scope["method"], scope["path"], status, elapsed_ms)
            request_id.reset(token)

    async def _traced(
        self, scope: Scope, receive: Receive, send: Send, rid: str, status: Callable[[], int]
    ) -> None:
        """Serve the request under a server span that continues the caller's ``traceparent``."""
        method, path = scope["method"], scope["path"]
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
        attributes = {"http.request.method": method, "url.path": path, "hub.request_id": rid}
        with tracing.span(f"{method} {path}", attributes, kind="server", headers=headers) as current:
            try:
                await self.app(scope, receive, send)
            finally:
                if current is not None:
                    current.set_attribute("http.response.status_code", status())
                    if status() >= 500:
                        tracing.mark_failed(current, str(status()))


def new_request_id() -> str:
    """Return 16 random hex digits for a request that brought no id of its own.

    The id only correlates log lines, so it needs no secrecy: ``random`` costs no system
    call, where ``uuid4`` read ``os.urandom`` on every request (about 5 % of a warm lookup's
    CPU in a profile). ``random`` reseeds itself in a forked child, so worker processes do
    not repeat each other's ids.
    """
    return f"{random.getrandbits(64):016x}"


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER.encode():
            text = value.decode("latin-1")
            return text if _CLIENT_REQUEST_ID.fullmatch(text) else None
    return None
