"""Fault injection for the bureau stand-in, settable at start and at runtime (POST /admin/config).

Faults hit ``DeliverNotice`` only; ``latency_ms`` slows every SOAP call. A request fails
when ``fail_next`` is above zero (it then counts down) or, failing that, with probability
``failure_rate``; it fails the way ``fault`` names:

- ``http_500``: a SOAP Server fault with HTTP 500, nothing stored;
- ``http_500_after_store``: the notice is stored, then the same fault is returned;
- ``timeout``: the response waits ``timeout_s`` seconds (past the client's timeout), then the
  notice is stored and returned, as a slow legacy server would;
- ``drop``: the connection closes mid-answer, nothing stored;
- ``drop_after_store``: the notice is stored, then the connection closes mid-answer.

The ``*_after_store`` modes, and ``timeout``, are why a client needs idempotency keys: the
client sees a failure while the bureau kept the notice.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field, fields
from typing import Any

FAULTS = ("http_500", "http_500_after_store", "timeout", "drop", "drop_after_store")


@dataclass(slots=True)
class FaultConfig:
    failure_rate: float = 0.0
    fault: str = "http_500"
    fail_next: int = 0
    latency_ms: int = 0
    timeout_s: float = 30.0
    auto_receipt_s: float | None = None  # record an officer's receipt this many seconds after acceptance
    seed: int | None = None
    _random: random.Random = field(default_factory=random.Random, repr=False)
    # A separate generator, so auto receipts do not shift the sequence of injected faults.
    _reporting_random: random.Random = field(default_factory=random.Random, repr=False)

    def __post_init__(self) -> None:
        self.validate()
        self._reseed()

    def _reseed(self) -> None:
        self._random.seed(self.seed)
        self._reporting_random.seed(self.seed)

    def validate(self) -> None:
        if self.fault not in FAULTS:
            raise ValueError(f"fault must be one of {', '.join(FAULTS)}, got {self.fault!r}")
        if not 0.0 <= self.failure_rate <= 1.0:
            raise ValueError(f"failure_rate must be between 0 and 1, got {self.failure_rate}")
        if self.fail_next < 0 or self.latency_ms < 0 or self.timeout_s < 0:
            raise ValueError("fail_next, latency_ms and timeout_s must be 0 or more")

    def update(self, changes: dict[str, Any]) -> None:
        """Apply a JSON object of changes; unknown keys or bad values raise ``ValueError``."""
        known = {f.name for f in fields(self) if not f.name.startswith("_")}
        unknown = set(changes) - known
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
        previous = self.public()
        for name, value in changes.items():
            setattr(self, name, value)
        try:
            self.validate()
        except ValueError:
            for name, value in previous.items():
                setattr(self, name, value)
            raise
        if "seed" in changes:
            self._reseed()

    def next_fault(self) -> str | None:
        """Return the fault the next DeliverNotice suffers, or None."""
        if self.fail_next > 0:
            self.fail_next -= 1
            return self.fault
        if self.failure_rate and self._random.random() < self.failure_rate:
            return self.fault
        return None

    def reporting_delay_days(self) -> int:
        """Days from the effective date to an auto receipt's reporting in: 1 to 12, so the demo
        shows people within the ten days of CC Law art. 21 and people after it."""
        return self._reporting_random.randint(1, 12)

    def public(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if not k.startswith("_")}
