"""Per-agency adapter status for operators: the readiness ``/readyz`` reports, with each breaker's state."""

from __future__ import annotations

from dataclasses import dataclass

from adapters.records import Agency
from hub.readiness import AdapterSupervisor, layers
from hub.resilience import CircuitBreaker, ResilientAdapter


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """One agency adapter's status; the breaker fields are None for an adapter without a breaker."""

    agency: Agency
    ready: bool
    reason: str | None  # AgencyReadiness.reason: NOT_CONFIGURED, STARTING, START_FAILED, WSDL_NOT_LOADED
    message: str | None  # why it is not ready, in the requested language
    breaker_state: str | None  # hub.resilience.BreakerState value
    breaker_retry_after_s: float | None  # seconds until an open breaker lets a probe call through


class SourceHealthDesk:
    """Report every agency's adapter from the app's ``AdapterSupervisor``."""

    def __init__(self, supervisor: AdapterSupervisor) -> None:
        self.supervisor = supervisor

    def health(self, language: str) -> list[SourceHealth]:
        """Return one entry per agency, in ``Agency`` order, as ``/readyz`` lists them."""
        entries = []
        for readiness in self.supervisor.readiness():
            breaker = find_breaker(self.supervisor.adapters.get(readiness.agency))
            entries.append(
                SourceHealth(
                    agency=readiness.agency,
                    ready=readiness.ready,
                    reason=readiness.reason,
                    message=readiness.message(language),
                    breaker_state=breaker.state.value if breaker is not None else None,
                    breaker_retry_after_s=breaker.retry_after_s if breaker is not None else None,
                )
            )
        return entries


def find_breaker(adapter: object | None) -> CircuitBreaker | None:
    """Return the circuit breaker among ``adapter``'s layers (each wraps the next as ``.inner``), if any."""
    for layer in layers(adapter):
        if isinstance(layer, ResilientAdapter):
            return layer.breaker
    return None
