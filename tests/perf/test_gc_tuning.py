"""A serving process freezes its start-up objects and spaces out young collections, and tests do not."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from hub import app as app_module
from hub.app import create_app
from hub.settings import Settings
from tests.standins import standins

PROBE = """
import gc, json, sys
from hub.gc_tuning import tune_for_serving
before = gc.get_threshold()
tune_for_serving(int(sys.argv[1]))
print(json.dumps({"before": before, "after": gc.get_threshold(), "frozen": gc.get_freeze_count()}))
"""


def probe(threshold: int) -> dict[str, list[int] | int]:
    """Tune a fresh interpreter, since freezing this test process would outlive the test."""
    output = subprocess.run(
        [sys.executable, "-c", PROBE, str(threshold)], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    return json.loads(output)  # type: ignore[no-any-return]


def test_tuning_freezes_and_raises_the_young_threshold() -> None:
    seen = probe(7000)

    assert seen["after"] == [7000, *seen["before"][1:]]  # type: ignore[index]
    assert seen["frozen"] > 0  # type: ignore[operator]


def test_zero_leaves_the_collector_alone() -> None:
    seen = probe(0)

    assert seen["after"] == seen["before"]
    assert seen["frozen"] == 0


@pytest.mark.parametrize("serving", [True, False])
async def test_only_a_serving_app_tunes_once_started(
    serving: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    monkeypatch.setattr(app_module, "tune_for_serving", calls.append)
    app = create_app(Settings(gc_gen0_threshold=1234), adapters=standins(), serving=serving)

    assert calls == []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub") as client:
            assert (await client.get("/healthz")).status_code == 200

    assert calls == ([1234] if serving else [])
