"""The linkage benchmark runs end to end on a small set and prints its summary line last."""

from __future__ import annotations

import pytest

from bench import linkage
from bench.linkage_data import generate


def test_noise_model_reproduces_from_seed() -> None:
    assert generate(500, seed=3) == generate(500, seed=3)


def test_benchmark_prints_precision_and_recall_last(capsys: pytest.CaptureFixture[str]) -> None:
    linkage.main(["--records", "3000"])

    last = capsys.readouterr().out.strip().splitlines()[-1]
    fields = dict(part.split("=") for part in last.removeprefix("linkage: ").split())
    assert last.startswith("linkage: records=")
    assert float(fields["precision"]) >= 0.99 and float(fields["recall"]) >= 0.97
    assert fields["false_merges_distinct_ids"] == "0"
