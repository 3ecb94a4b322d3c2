"""The notice commands end to end: real court and bureau stand-ins, a fresh SQLite store, the CLI."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hub.notices.commands import (
    deliver_command,
    migrate_command,
    notices_command,
    poll_command,
    receipts_command,
)
from hub.store import create_store, hub_locks
from simulators.court.app import create_app as create_court_app
from tests.notices.conftest import Bureau
from tests.servers import serve_in_thread


def judgment(serial: int, **changes: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "case_number": f"（2026）川3401刑初{serial}号",
        "court_name": "西昌市人民法院",
        "court_code": "川3401",
        "verdict": "guilty",
        "penalty": "fixed_term_imprisonment",
        "term_months": 12,
        "probation_months": 24,
        "charges": [{"name": "盗窃罪", "article": "264"}],
        "judgment_date": "2026-10-20",
        "effective_date": "2026-11-02",
        "correction_type": "suspended_sentence",
        **changes,
    }
    person = {"name": "沙马拉且", "id_number": "513425198807070013", "sex_code": "1", "county_code": "513425"}
    return {"person": person, "judgment": fields}


@pytest.fixture
def court(tmp_path: Path) -> Iterator[str]:
    with serve_in_thread(create_court_app(str(tmp_path / "court.sqlite"))) as base:
        yield base


def test_migrate_poll_deliver_and_receipts_carry_a_judgment_to_a_receipt(
    tmp_path: Path, court: str, bureau: Bureau, monkeypatch: pytest.MonkeyPatch
) -> None:
    for serial, changes in ((1, {}), (2, {"effective_date": None}), (3, {"case_number": "川西刑？"})):
        httpx.post(f"{court}/admin/judgments", json=judgment(serial, **changes)).raise_for_status()
    monkeypatch.setenv("HUB_STORE_URL", f"sqlite+aiosqlite:///{tmp_path / 'var' / 'hub.sqlite'}")
    monkeypatch.setenv("HUB_COURT_URL", f"{court}/ws/court")
    monkeypatch.setenv("HUB_BUREAU_URL", bureau.url)
    monkeypatch.setenv("HUB_REDIS_URL", "")
    runner = CliRunner()

    migrated = runner.invoke(migrate_command)
    polled = runner.invoke(poll_command, ["court"])
    delivered = runner.invoke(deliver_command)
    [record] = bureau.notices()
    bureau.record_receipt(str(record["acceptance_id"]))
    received = runner.invoke(receipts_command)
    listed = runner.invoke(notices_command)

    for result in (migrated, polled, delivered, received, listed):
        assert result.exit_code == 0, result.output
    assert "新建通知书 3 份" in polled.output
    assert "送达 1 份" in delivered.output
    assert "已签收 1 份" in received.output
    assert listed.output.count("needs_attention") == 2
    # Only the notice without an effective date lacks a notice deadline.
    assert listed.output.count("应通知 -") == 1
    assert "received" in listed.output
    assert "513425198807070013" not in listed.output
    assert record["county_code"] == "513402"


def test_poll_without_a_migrated_store_says_to_run_migrate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, court: str
) -> None:
    monkeypatch.setenv("HUB_STORE_URL", f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite'}")
    monkeypatch.setenv("HUB_COURT_URL", f"{court}/ws/court")

    result = CliRunner().invoke(poll_command, ["court"])

    assert result.exit_code == 1
    assert "hub migrate" in result.output


HOLDER = """
import asyncio, sys
import click
from hub.notices.commands import _run
from hub.notices.locks import StoreLock
from hub.store import create_store, migrate

async def work():
    await migrate(sys.argv[1])
    store = create_store(sys.argv[1])
    try:
        async with StoreLock(store).hold("poll:court") as held:
            print("held" if held else "refused", flush=True)
            await asyncio.sleep(60)
    finally:
        await store.aclose()

@click.command()
@click.argument("url")
def hold(url):
    _run(work)

hold()
"""


def test_sigterm_releases_the_poll_lock(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'hub.sqlite'}"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        holder.send_signal(signal.SIGTERM)
        _, stderr = holder.communicate(timeout=20)
    finally:
        if holder.poll() is None:
            holder.kill()

    assert holder.returncode == 143
    assert "SIGTERM" in stderr
    assert locks_left(url) == []


def locks_left(url: str) -> list[str]:
    async def read() -> list[str]:
        store = create_store(url)
        try:
            async with store.read() as conn:
                return [name for (name,) in await conn.execute(select(hub_locks.c.name))]
        finally:
            await store.aclose()

    return asyncio.run(read())
