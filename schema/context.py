"""Protocols for the request context (``info.context``) that resolvers rely on.

``hub/app.py`` builds the real context per request; tests may pass any object of the
same shape. Nothing here imports ``hub``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from adapters.errors import HubError
from adapters.idnumber import IdNumber
from adapters.records import (
    AdministrativeDetention,
    Agency,
    CoerciveMeasure,
    CorrectionRecord,
    CustodyRecord,
    Judgment,
    PersonIdentity,
    PoliceCase,
)


class SourceOutcome(Protocol):
    """Outcome of one agency call; ``status`` is ``ok``, ``timed_out``, ``unavailable`` or ``error``."""

    @property
    def agency(self) -> Agency: ...
    @property
    def status(self) -> str: ...
    @property
    def fetched_at(self) -> dt.datetime: ...
    @property
    def latency_ms(self) -> float: ...
    @property
    def error(self) -> HubError | None: ...


class CaseInformationView(Protocol):
    @property
    def judgments(self) -> Sequence[Judgment]: ...
    @property
    def police_cases(self) -> Sequence[PoliceCase]: ...
    @property
    def coercive_measures(self) -> Sequence[CoerciveMeasure]: ...
    @property
    def administrative_detentions(self) -> Sequence[AdministrativeDetention]: ...
    @property
    def custody(self) -> Sequence[CustodyRecord]: ...
    @property
    def corrections(self) -> Sequence[CorrectionRecord]: ...


class PriorRecordsView(Protocol):
    @property
    def id_number(self) -> IdNumber: ...
    @property
    def person(self) -> PersonIdentity | None: ...
    @property
    def criminal_records(self) -> Sequence[Judgment]: ...
    @property
    def case_information(self) -> CaseInformationView: ...
    @property
    def sources(self) -> Sequence[SourceOutcome]: ...


class PriorRecordLookup(Protocol):
    """Service behind ``priorRecords``. A failing agency must show up in ``sources``, not as an exception."""

    async def lookup(self, id_number: IdNumber) -> PriorRecordsView: ...


@dataclass(frozen=True, slots=True)
class PartialError:
    """An error reported beside data that still comes back, at ``path`` in the response."""

    error: HubError
    path: tuple[str | int, ...]


class HubContext(Protocol):
    """The request context: services, the client's language (``zh`` or ``en``), partial errors.

    Resolvers append to ``partial_errors`` instead of raising when the field still has data
    to return. The ``HubErrors`` extension turns each entry into an entry of ``errors``.
    """

    @property
    def records(self) -> PriorRecordLookup: ...
    @property
    def language(self) -> str: ...
    @property
    def partial_errors(self) -> list[PartialError]: ...
