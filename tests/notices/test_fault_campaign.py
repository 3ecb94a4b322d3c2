"""The fault campaign, small: three runs against PostgreSQL with kills and bureau faults."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from bench.notice_faults import run_rng
from bench.notice_mix import plan_run
from bench.notice_tally import Fate, GroundTruth, RunRecord, count_by_fault
from tests.notices.conftest import _empty_postgres

REPO_ROOT = Path(__file__).resolve().parents[2]
RUNS, SEED, PER_RUN = 3, 11, 8
LAST_LINE = re.compile(r"notices: runs=(\d+) expected=(\d+) delivered=(\d+) lost=(\d+) duplicated=(\d+)")


def test_campaign_loses_and_duplicates_no_notice(postgres_url: str, tmp_path: Path) -> None:
    _empty_postgres(postgres_url)
    planned = [j for run in range(RUNS) for j in plan_run(run, PER_RUN, run_rng(SEED, run))]
    command = [
        sys.executable, "-m", "bench.notice_faults", "--runs", str(RUNS), "--seed", str(SEED),
        "--judgments-per-run", str(PER_RUN), "--store-url", postgres_url, "--work-dir", str(tmp_path),
    ]  # fmt: skip

    result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)

    output = result.stdout + result.stderr
    match = LAST_LINE.fullmatch(result.stdout.splitlines()[-1] if result.stdout else "")
    assert match is not None, output
    runs, expected, delivered, lost, duplicated = map(int, match.groups())
    assert runs == RUNS
    assert expected == sum(j.expected for j in planned)
    assert expected > 0
    assert delivered == expected, output
    assert lost == 0, output
    assert duplicated == 0, output
    assert result.returncode == 0, output


def test_tally_counts_second_bureau_record_as_duplicate() -> None:
    judgment = next(j for j in plan_run(0, 40, run_rng(SEED, 0)) if j.expected)
    key = (judgment.court_name, judgment.case_number)
    record = RunRecord(0, "http_500", [judgment], Fate.COMPLETE, Fate.COMPLETE, settled=True)
    bureau = [
        {"payload": {"courtName": key[0], "caseNumber": key[1]}, "deliveries": 2},
        {"payload": {"courtName": key[0], "caseNumber": key[1]}, "deliveries": 1},
    ]

    counts = count_by_fault([record], GroundTruth.read(bureau, [(*key, "delivered")]))["all"]

    assert counts.expected == 1
    assert counts.delivered == 1
    assert counts.lost == 0
    assert counts.duplicated == 1
    assert counts.resends_absorbed == 1


def test_tally_counts_missing_bureau_record_as_lost() -> None:
    judgments = [j for j in plan_run(0, 40, run_rng(SEED, 0)) if j.expected][:2]
    record = RunRecord(0, "timeout", judgments, Fate.KILL, Fate.KILL, settled=True)
    first = judgments[0]
    bureau = [{"payload": {"courtName": first.court_name, "caseNumber": first.case_number}, "deliveries": 1}]

    counts = count_by_fault([record], GroundTruth.read(bureau, []))["all"]

    assert counts.expected == 2
    assert counts.delivered == 1
    assert counts.lost == 1
    assert counts.duplicated == 0
