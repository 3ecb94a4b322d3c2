"""Helpers for the cache and resilience tests: a settable clock, the test person, fresh metrics."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from adapters.idnumber import IdNumber, parse_id_number
from hub.metrics import HubMetrics
from tests.standins import ID_NUMBER

PERSON: IdNumber = parse_id_number(ID_NUMBER)


class FakeClock:
    """A monotonic clock the test moves by hand, in seconds."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def fresh_metrics() -> HubMetrics:
    return HubMetrics(CollectorRegistry())


def sample(metrics: HubMetrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0
