"""Start the agency adapters in the background and report whether the hub is ready.

The process serves ``/healthz`` as soon as it runs. ``/readyz`` returns 200 only when
an adapter is configured for every agency, each has started, and the court adapter
has loaded its WSDL. A failed start is retried with backoff, so an agency that is down at
boot joins once it comes up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from adapters.contract import RecordAdapter
from adapters.errors import AGENCY_NAMES_ZH, HubError
from adapters.records import Agency

logger = logging.getLogger(__name__)

FIRST_RETRY_S = 1.0
MAX_RETRY_S = 30.0


def layers(adapter: object | None) -> Iterator[object]:
    """Yield ``adapter`` and each adapter it wraps; cache, breaker and metrics layers keep it as ``inner``."""
    layer = adapter
    while layer is not None:
        yield layer
        layer = getattr(layer, "inner", None)


@runtime_checkable
class WsdlBacked(Protocol):
    """A SOAP adapter that reports whether its WSDL has been loaded."""

    @property
    def wsdl_loaded(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class AgencyReadiness:
    agency: Agency
    ready: bool
    reason: str | None = None  # stable English code
    detail: str = ""  # the failure's own code, for START_FAILED

    def message(self, language: str = "zh") -> str | None:
        """Say why the agency is not ready, for the operator reading the probe."""
        if self.reason is None:
            return None
        agency = self.agency.value
        error = HubError(
            f"ready.{self.reason.lower()}",
            agency=agency,
            agency_zh=AGENCY_NAMES_ZH.get(agency, agency),
            code=self.detail,
        )
        return error.render(language)

    def as_json(self, language: str = "zh") -> dict[str, object]:
        return {"ready": self.ready, "reason": self.reason, "message": self.message(language)}


class AdapterSupervisor:
    """Own the adapters' lifecycle: background start with retries, readiness, close."""

    def __init__(self, adapters: Sequence[RecordAdapter], *, first_retry_s: float = FIRST_RETRY_S) -> None:
        self.adapters = {adapter.agency: adapter for adapter in adapters}
        self.first_retry_s = first_retry_s
        self._started: set[Agency] = set()
        self._failures: dict[Agency, str] = {}
        self._tasks: list[asyncio.Task[None]] = []

    def begin(self) -> None:
        """Start every adapter in the background; returns at once."""
        self._tasks = [asyncio.create_task(self._start(adapter)) for adapter in self.adapters.values()]

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

        for agency, adapter in self.adapters.items():
            try:
                await adapter.aclose()
            except Exception:
                logger.exception("closing the %s adapter failed", agency.value)

    def readiness(self) -> list[AgencyReadiness]:
        return [self._readiness(agency) for agency in Agency]

    def is_ready(self) -> bool:
        return all(item.ready for item in self.readiness())

    async def _start(self, adapter: RecordAdapter) -> None:
        agency = adapter.agency
        delay = self.first_retry_s
        while True:
            try:
                await adapter.start()
            except Exception as exc:
                code = exc.code if isinstance(exc, HubError) else type(exc).__name__
                self._failures[agency] = code
                logger.warning(
                    "starting the %s adapter failed (%s); retrying in %.0f s", agency.value, code, delay
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_RETRY_S)
                continue

            self._started.add(agency)
            self._failures.pop(agency, None)
            logger.info("the %s adapter started", agency.value)
            return

    def _readiness(self, agency: Agency) -> AgencyReadiness:
        adapter = self.adapters.get(agency)
        if adapter is None:
            return AgencyReadiness(agency, False, "NOT_CONFIGURED")
        if agency in self._failures:
            return AgencyReadiness(agency, False, "START_FAILED", self._failures[agency])
        if agency not in self._started:
            return AgencyReadiness(agency, False, "STARTING")
        if any(isinstance(layer, WsdlBacked) and not layer.wsdl_loaded for layer in layers(adapter)):
            return AgencyReadiness(agency, False, "WSDL_NOT_LOADED")
        return AgencyReadiness(agency, True)
