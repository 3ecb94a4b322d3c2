"""The one contract every agency adapter meets, whatever protocol it speaks."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol, runtime_checkable

from adapters.idnumber import IdNumber
from adapters.records import Agency, AgencyRecords


@runtime_checkable
class RecordAdapter(Protocol):
    """An agency's legacy system seen as canonical records.

    ``start`` does all slow set-up (loading a WSDL, creating an engine) so that no
    request pays for it. ``fetch_records`` looks a person up by both the 18-character
    and, where one exists, the 15-digit form of their ID number. Every method raises
    only ``adapters.errors.HubError`` subclasses; library errors are translated inside.
    """

    agency: Agency

    async def start(self) -> None: ...

    async def fetch_records(self, id_number: IdNumber) -> AgencyRecords: ...

    async def ping(self) -> None:
        """Raise an ``UpstreamError`` unless the system answers a trivial request."""
        ...

    async def aclose(self) -> None: ...


# The outcome an adapter logs for a call its caller cancelled.
CANCELLED = "CANCELLED"

# True while a caller that writes its own log line for each call (the hub's
# ``InstrumentedAdapter``) is calling. Each upstream call then has one INFO line: the
# caller's, which carries the outcome the hub saw. A poller calls adapters directly, so
# the adapters' own lines are its INFO lines.
_caller_logs_calls: ContextVar[bool] = ContextVar("caller_logs_calls", default=False)


@contextmanager
def calls_logged_by_caller() -> Iterator[None]:
    """Within this block, adapters log their own call lines at DEBUG instead of INFO."""
    token = _caller_logs_calls.set(True)
    try:
        yield
    finally:
        _caller_logs_calls.reset(token)


def call_log_level() -> int:
    """Return the level for an adapter's line about one upstream call."""
    return logging.DEBUG if _caller_logs_calls.get() else logging.INFO
