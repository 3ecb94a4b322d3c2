"""What each run of the fault campaign did, and the count of notices from ground truth.

The bureau stand-in's own records decide what arrived. They are counted per judgment (court
name and case number), never per idempotency key, so that a key derived wrongly would show
up as a duplicate. The hub's notices table is read only for duplicates on the hub's side
and to check that parked judgments are parked.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bench.notice_mix import PlannedJudgment
from hub.store import NoticeStatus

JudgmentKey = tuple[str, str]  # (court name, canonical case number)


class Fate(StrEnum):
    """How the campaign ends a poll or delivery process during a run."""

    KILL = "kill"  # SIGKILL after a random delay
    INTERRUPT = "interrupt"  # SIGINT after a random delay, as an operator's Ctrl+C
    COMPLETE = "complete"  # left to finish on its own


@dataclass(slots=True)
class RunRecord:
    run: int
    fault: str
    judgments: list[PlannedJudgment]
    poll_fate: Fate
    deliver_fate: Fate
    poll_signalled: bool = False  # the signal reached a running process
    deliver_signalled: bool = False
    child_errors: list[str] = field(default_factory=list)
    chaos_attempts: Counter[str] = field(default_factory=Counter)  # delivery_attempts outcomes
    settle_attempts: Counter[str] = field(default_factory=Counter)
    chaos_notices: int = 0  # notices the poll process wrote before it ended
    poll_s: float = 0.0  # from start to exit or signal
    deliver_s: float = 0.0
    chaos_s: float = 0.0
    settle_s: float = 0.0
    settled: bool = False


@dataclass(frozen=True, slots=True)
class GroundTruth:
    """Bureau records per judgment and the hub's notices per judgment, read after the last run."""

    bureau_rows: Counter[JudgmentKey]
    bureau_deliveries: Counter[JudgmentKey]  # every DeliverNotice the bureau stored or absorbed
    hub_rows: Counter[JudgmentKey]
    hub_status: dict[JudgmentKey, str]

    @classmethod
    def read(
        cls, bureau_records: Iterable[dict[str, Any]], hub_notices: Iterable[tuple[str, str, str]]
    ) -> GroundTruth:
        bureau_rows: Counter[JudgmentKey] = Counter()
        deliveries: Counter[JudgmentKey] = Counter()
        for record in bureau_records:
            key = (str(record["payload"]["courtName"]), str(record["payload"]["caseNumber"]))
            bureau_rows[key] += 1
            deliveries[key] += int(record["deliveries"])
        hub_rows: Counter[JudgmentKey] = Counter()
        hub_status: dict[JudgmentKey, str] = {}
        for court_name, case_number, status in hub_notices:
            hub_rows[(court_name, case_number)] += 1
            hub_status[(court_name, case_number)] = status
        return cls(bureau_rows, deliveries, hub_rows, hub_status)


@dataclass(slots=True)
class Counts:
    runs: int = 0
    expected: int = 0
    delivered: int = 0
    duplicated: int = 0
    unexpected: int = 0  # judgments that must not reach a bureau but did
    parked: int = 0
    parked_planned: int = 0
    resends_absorbed: int = 0
    poll_kills: int = 0
    deliver_kills: int = 0
    deliver_interrupts: int = 0
    chaos_notices: int = 0
    attempts_failed: int = 0
    attempts_accepted: int = 0
    settle_accepted: int = 0
    child_errors: int = 0
    unsettled: int = 0
    chaos_s: float = 0.0
    settle_s: float = 0.0
    settle_max_s: float = 0.0

    @property
    def lost(self) -> int:
        return self.expected - self.delivered

    def add(self, record: RunRecord, truth: GroundTruth) -> None:
        self.runs += 1
        for judgment in record.judgments:
            self._add_judgment(judgment, truth)
        self.poll_kills += record.poll_signalled
        self.deliver_kills += record.deliver_signalled and record.deliver_fate is Fate.KILL
        self.deliver_interrupts += record.deliver_signalled and record.deliver_fate is Fate.INTERRUPT
        self.attempts_failed += record.chaos_attempts["failed"] + record.settle_attempts["failed"]
        self.attempts_accepted += record.chaos_attempts["accepted"]
        self.settle_accepted += record.settle_attempts["accepted"]
        self.chaos_notices += record.chaos_notices
        self.child_errors += len(record.child_errors)
        self.unsettled += not record.settled
        self.chaos_s += record.chaos_s
        self.settle_s += record.settle_s
        self.settle_max_s = max(self.settle_max_s, record.settle_s)

    def _add_judgment(self, judgment: PlannedJudgment, truth: GroundTruth) -> None:
        key = (judgment.court_name, judgment.case_number)
        at_bureau = truth.bureau_rows[key]
        self.duplicated += max(at_bureau - 1, 0) + max(truth.hub_rows[key] - 1, 0)
        self.resends_absorbed += max(truth.bureau_deliveries[key] - at_bureau, 0)
        if judgment.expected:
            self.expected += 1
            self.delivered += at_bureau > 0
        elif at_bureau:
            self.unexpected += 1
        if judgment.parked:
            self.parked_planned += 1
            self.parked += truth.hub_status.get(key) == NoticeStatus.NEEDS_ATTENTION


def count_by_fault(records: Sequence[RunRecord], truth: GroundTruth) -> dict[str, Counts]:
    """Return the counts per fault mode, in order of first use, plus ``"all"``."""
    by_fault: dict[str, Counts] = {}
    total = Counts()
    for record in records:
        by_fault.setdefault(record.fault, Counts()).add(record, truth)
        total.add(record, truth)
    return {**dict(sorted(by_fault.items())), "all": total}


def strangers(records: Sequence[RunRecord], truth: GroundTruth) -> list[JudgmentKey]:
    """Return the bureau's judgments that no run created: a wrong case number or court name."""
    planned = {(j.court_name, j.case_number) for record in records for j in record.judgments}
    return sorted(key for key in truth.bureau_rows if key not in planned)


_COLUMNS = (
    ("fault", 22),
    ("runs", 5),
    ("expect", 7),
    ("deliv", 6),
    ("lost", 5),
    ("dup", 4),
    ("unexp", 6),
    ("parked", 8),
    ("kill p/d/int", 13),
    ("polled", 7),
    ("attempts f/ok/settle", 21),
    ("resent", 7),
    ("err", 4),
    ("unsettled", 10),
    ("chaos s", 8),
    ("settle s avg/max", 17),
)


def table(counts: dict[str, Counts]) -> list[str]:
    """Format one line per fault mode and a total line, with a header."""
    header = "".join(
        name.rjust(width) if i else name.ljust(width) for i, (name, width) in enumerate(_COLUMNS)
    )
    lines = [header, "-" * len(header)]
    for fault, c in counts.items():
        runs = max(c.runs, 1)
        cells = (
            fault,
            c.runs,
            c.expected,
            c.delivered,
            c.lost,
            c.duplicated,
            c.unexpected,
            f"{c.parked}/{c.parked_planned}",
            f"{c.poll_kills}/{c.deliver_kills}/{c.deliver_interrupts}",
            c.chaos_notices,
            f"{c.attempts_failed}/{c.attempts_accepted}/{c.settle_accepted}",
            c.resends_absorbed,
            c.child_errors,
            c.unsettled,
            f"{c.chaos_s / runs:.2f}",
            f"{c.settle_s / runs:.2f}/{c.settle_max_s:.2f}",
        )
        if fault == "all":
            lines.append("-" * len(header))
        lines.append(
            "".join(
                str(cell).rjust(width) if i else str(cell).ljust(width)
                for i, (cell, (_, width)) in enumerate(zip(cells, _COLUMNS, strict=True))
            )
        )
    return lines
