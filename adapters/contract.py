"""The one contract every agency adapter meets, whatever protocol it speaks."""

from __future__ import annotations

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
