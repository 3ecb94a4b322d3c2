"""The notice commands end to end: real court and bureau stand-ins, a fresh SQLite store, the CLI."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
import re
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from adapters.bureau import BureauAdapter
from adapters.records import JudgmentChange, PenaltyType
from hub.identity.commands import people_command
from hub.notices import RetryPolicy, StoreLock, deliver, notice_rows, poll_court
from hub.notices.commands import (
    deliver_command,
    migrate_command,
    notices_command,
    poll_command,
    receipts_command,
    redeliver_command,
)
from hub.notices.delivery import _claim
from hub.notices.operator_commands import status_label
from hub.store import Store, create_store, hub_locks, migrate
from hub.store.audit_tables import audit_entries
from hub.store_folder import note_new_store_file
from simulators.court.app import create_app as create_court_app
from tests.notices.conftest import CALENDAR, RULES, Bureau, FakeCourt, judgment_change
from tests.notices.test_redeliver import FullBackoff
from tests.servers import serve_in_thread

T = TypeVar("T")


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
    rows = listed_rows(listed.output)
    assert [row["status"] for row in rows].count(status_label("needs_attention")) == 2
    # Only the notice without an effective date lacks a notice deadline.
    assert [row["notice due"] for row in rows].count("-") == 1
    assert status_label("received") in [row["status"] for row in rows]
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
from hub.notices.cli_support import run_work
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
    run_work(work)

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


AN_HOUR = RetryPolicy(base_s=3600.0, cap_s=3600.0, failing_after=1)
OPERATOR = "u-ops-513400"


def case(serial: int) -> str:
    return f"（2026）川3401刑初{serial}号"


def listed_rows(output: str) -> list[dict[str, str]]:
    """Read the rows of ``hub notices`` back, keyed by the English header line."""
    lines = output.splitlines()
    header = re.split(r" {2,}", lines[1])
    return [dict(zip(header, re.split(r" {2,}", line), strict=True)) for line in lines[2:-1]]


def with_store(url: str, work: Callable[[Store], Awaitable[T]]) -> T:
    """Run ``work`` on the store at ``url`` in an event loop of its own, as a CLI run does."""

    async def main() -> T:
        store = create_store(url)
        try:
            return await work(store)
        finally:
            await store.aclose()

    return asyncio.run(main())


@pytest.fixture
def hub_env(store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the CLI at a migrated store (SQLite, then PostgreSQL) and a scratch audit key."""
    monkeypatch.setenv("HUB_STORE_URL", store_url)
    monkeypatch.setenv("HUB_AUDIT_SIGNING_KEY_FILE", str(tmp_path / "audit-key.pem"))
    asyncio.run(migrate(store_url))
    return store_url


@pytest.fixture
def scratch_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the CLI at a store file that does not exist, for input the CLI rejects first."""
    path = tmp_path / "untouched.sqlite"
    monkeypatch.setenv("HUB_STORE_URL", f"sqlite+aiosqlite:///{path}")
    monkeypatch.setenv("HUB_AUDIT_SIGNING_KEY_FILE", str(tmp_path / "audit-key.pem"))
    return path


def poll(url: str, *changes: JudgmentChange) -> list[int]:
    """Poll ``changes`` into the store and return every notice id, oldest first."""

    async def work(store: Store) -> list[int]:
        court = FakeCourt(list(changes))
        await poll_court(store, court, lock=StoreLock(store), rules=RULES, calendar=CALENDAR)
        return [int(str(row["id"])) for row in await notice_rows(store)]

    return with_store(url, work)


def deliver_to(url: str, bureau: Bureau, policy: RetryPolicy, rng: random.Random | None = None) -> None:
    async def work(store: Store) -> None:
        adapter = BureauAdapter(bureau.url, timeout_s=0.5)
        try:
            await deliver(store, {"513401": adapter}, rules=RULES, calendar=CALENDAR, policy=policy, rng=rng)
        finally:
            await adapter.aclose()

    with_store(url, work)


def notice(url: str, notice_id: int) -> dict[str, object]:
    async def work(store: Store) -> list[dict[str, object]]:
        return await notice_rows(store)

    [row] = [row for row in with_store(url, work) if row["id"] == notice_id]
    return row


def redeliver_entries(url: str) -> list[dict[str, Any]]:
    async def work(store: Store) -> list[dict[str, Any]]:
        async with store.read() as conn:
            statement = select(audit_entries.c.payload).order_by(audit_entries.c.sequence)
            payloads = (await conn.execute(statement)).scalars().all()
        entries = [json.loads(payload)["entry"] for payload in payloads]
        return [entry for entry in entries if entry["operation"] == "redeliverNotice"]

    return with_store(url, work)


def failing_notice(url: str, bureau: Bureau) -> int:
    """Poll one notice and fail its delivery, leaving it FAILING with an hour's backoff."""
    [notice_id] = poll(url, judgment_change(1, 1))
    bureau.configure(fault="http_500", fail_next=100)
    deliver_to(url, bureau, AN_HOUR, FullBackoff())
    return notice_id


def seed_listing(url: str) -> None:
    poll(
        url,
        judgment_change(1, 1),
        # Huili's pre-2021 code: the notice goes to the bureau of 513402.
        judgment_change(2, 2, county="513425"),
        judgment_change(3, 3, effective_date=None),
        # Outside Liangshan: no bureau receives it, so it needs attention.
        judgment_change(4, 4, county="510104"),
        judgment_change(5, 5, penalty=PenaltyType.DEPRIVATION_OF_POLITICAL_RIGHTS_ONLY, correction=None),
    )


def test_notices_filter_by_status(hub_env: str) -> None:
    seed_listing(hub_env)

    result = CliRunner().invoke(notices_command, ["--status", "NEEDS_ATTENTION"])

    assert result.exit_code == 0, result.output
    rows = listed_rows(result.output)
    assert [row["case number"] for row in rows] == [case(4), case(3)]
    assert {row["status"] for row in rows} == {status_label("needs_attention")}
    assert result.output.splitlines()[-1] == "共 2 份通知书。 / Notices listed: 2."


def test_notices_repeated_status_lists_each(hub_env: str) -> None:
    seed_listing(hub_env)

    result = CliRunner().invoke(notices_command, ["--status", "pending", "--status", "routed_to_police"])

    assert result.exit_code == 0, result.output
    rows = listed_rows(result.output)
    assert [row["status"] for row in rows] == [
        status_label(s) for s in ("routed_to_police", "pending", "pending")
    ]
    assert [row["case number"] for row in rows] == [case(5), case(2), case(1)]


@pytest.mark.parametrize("code", ["513402", "513425"])
def test_notices_filter_by_county(hub_env: str, code: str) -> None:
    seed_listing(hub_env)

    result = CliRunner().invoke(notices_command, ["--county", code])

    assert result.exit_code == 0, result.output
    [row] = listed_rows(result.output)
    assert row["case number"] == case(2)
    assert row["county"] == "513402 会理市"


def test_notices_filter_by_status_and_county(hub_env: str) -> None:
    seed_listing(hub_env)

    result = CliRunner().invoke(notices_command, ["--status", "pending", "--county", "513401"])

    assert result.exit_code == 0, result.output
    [row] = listed_rows(result.output)
    assert row["case number"] == case(1)
    assert row["status"] == "待发送 PENDING"


def test_notices_show_header_county_names_and_masks(hub_env: str) -> None:
    seed_listing(hub_env)

    result = CliRunner().invoke(notices_command)

    assert result.exit_code == 0, result.output
    header_zh, header_en = result.output.splitlines()[:2]
    assert header_zh.split() == "编号 状态 案号 姓名 身份证号 执行地 应通知日 尝试 说明".split()
    assert re.split(r" {2,}", header_en)[:3] == ["id", "status", "case number"]
    rows = {row["case number"]: row for row in listed_rows(result.output)}
    assert rows[case(1)]["county"] == "513401 西昌市"
    assert rows[case(2)]["county"] == "513402 会理市"
    assert rows[case(4)]["county"] == "510104"
    assert "执行地县级代码未知" in rows[case(4)]["detail"]
    assert rows[case(1)]["ID number"] == "513401********1234"
    assert rows[case(1)]["name"] == "阿**"
    assert "513401199001011234" not in result.output
    assert "阿苏拉则" not in result.output


def test_notices_limit_lists_newest_and_counts_rest(hub_env: str) -> None:
    poll(hub_env, *(judgment_change(serial, serial) for serial in range(1, 6)))

    limited = CliRunner().invoke(notices_command, ["--limit", "2"])
    exact = CliRunner().invoke(notices_command, ["--limit", "5"])

    assert limited.exit_code == exact.exit_code == 0
    assert [row["case number"] for row in listed_rows(limited.output)] == [case(5), case(4)]
    assert limited.output.splitlines()[-1] == (
        "另有 3 份较早的通知书未列出；可调大 --limit，或用 --status、--county 缩小范围。"
        " / 3 older notices not listed; raise --limit or narrow with --status or --county."
    )
    assert len(listed_rows(exact.output)) == 5
    assert exact.output.splitlines()[-1] == "共 5 份通知书。 / Notices listed: 5."


def test_notices_limit_counts_only_matching_rest(hub_env: str) -> None:
    seed_listing(hub_env)

    result = CliRunner().invoke(notices_command, ["--status", "pending", "--limit", "1"])

    assert result.exit_code == 0, result.output
    [row] = listed_rows(result.output)
    assert row["case number"] == case(2)
    assert result.output.splitlines()[-1].startswith("另有 1 份较早的通知书未列出")
    assert "/ 1 older notice not listed;" in result.output.splitlines()[-1]


def test_notices_without_match_print_message(hub_env: str) -> None:
    empty = CliRunner().invoke(notices_command)
    seed_listing(hub_env)
    unmatched = CliRunner().invoke(notices_command, ["--status", "failing", "--county", "513401"])

    assert empty.exit_code == unmatched.exit_code == 0
    assert empty.output == "枢纽中还没有通知书。 / The hub has no notices yet.\n"
    assert unmatched.output == (
        "没有符合条件的通知书（状态 failing；执行地 513401 西昌市）。"
        " / No notices match (status failing; county 513401).\n"
    )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--status", "lost"], "Invalid value for '--status'"),
        (["--county", "51340"], "县级代码“51340”格式无效"),
        (["--county", "5134O1"], "County code '5134O1' is malformed"),
        (["--county", "510104"], "县级代码“510104”不是凉山州的县（市）"),
        (["--limit", "0"], "Invalid value for '--limit'"),
    ],
)
def test_notices_bad_option_exits_2(scratch_env: Path, arguments: list[str], message: str) -> None:
    result = CliRunner().invoke(notices_command, arguments)

    assert result.exit_code == 2
    assert message in result.stderr
    assert not scratch_env.exists()


def test_redeliver_failing_notice_sent_once(hub_env: str, bureau: Bureau) -> None:
    notice_id = failing_notice(hub_env, bureau)
    before = notice(hub_env, notice_id)

    result = CliRunner().invoke(redeliver_command, [str(notice_id), "--operator", OPERATOR])

    after = notice(hub_env, notice_id)
    now = dt.datetime.now(dt.UTC)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"通知书 {notice_id} 已安排重新发送：下一次 `hub deliver` 运行时发送")
    assert before["status"] == after["status"] == "failing"
    assert before["next_attempt_at"] > now + dt.timedelta(minutes=30)  # type: ignore[operator]
    assert after["next_attempt_at"] <= now  # type: ignore[operator]
    assert bureau.notices() == []

    bureau.configure(fail_next=0)
    deliver_to(hub_env, bureau, AN_HOUR)
    deliver_to(hub_env, bureau, AN_HOUR)

    [record] = bureau.notices()
    assert record["deliveries"] == 1
    assert notice(hub_env, notice_id)["status"] == "delivered"


def test_redeliver_audits_operator(hub_env: str, bureau: Bureau) -> None:
    notice_id = failing_notice(hub_env, bureau)

    result = CliRunner().invoke(redeliver_command, [str(notice_id), "--operator", f" {OPERATOR} "])

    assert result.exit_code == 0, result.output
    [entry] = redeliver_entries(hub_env)
    assert entry["operation"] == "redeliverNotice"
    assert entry["actor_id"] == OPERATOR
    assert entry["role"] == "operator"
    assert (entry["unit_agency"], entry["unit_county"]) == ("hub", "513400")
    assert entry["notice_id"] == notice_id
    assert (entry["notice_from"], entry["notice_to"]) == ("failing", "failing")


def test_redeliver_backed_off_pending_notice(hub_env: str, bureau: Bureau) -> None:
    [notice_id] = poll(hub_env, judgment_change(1, 1))
    bureau.configure(fault="http_500", fail_next=1)
    deliver_to(hub_env, bureau, RetryPolicy(base_s=3600.0, cap_s=3600.0), FullBackoff())

    result = CliRunner().invoke(redeliver_command, [str(notice_id), "--operator", OPERATOR])

    row = notice(hub_env, notice_id)
    assert result.exit_code == 0, result.output
    assert "已安排重新发送" in result.stdout
    assert row["status"] == "pending"
    assert row["next_attempt_at"] <= dt.datetime.now(dt.UTC)  # type: ignore[operator]
    assert len(redeliver_entries(hub_env)) == 1


def test_redeliver_due_notice_unchanged(hub_env: str) -> None:
    [notice_id] = poll(hub_env, judgment_change(1, 1))
    before = notice(hub_env, notice_id)

    result = CliRunner().invoke(redeliver_command, [str(notice_id), "--operator", OPERATOR])

    after = notice(hub_env, notice_id)
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"通知书 {notice_id} 已在等待发送，未作改动：下一次 `hub deliver` 运行时发送。"
        f" / Notice {notice_id} is already due, so nothing changed: the next `hub deliver` run sends it.\n"
    )
    assert after["next_attempt_at"] == before["next_attempt_at"]
    assert after["updated_at"] == before["updated_at"]
    assert redeliver_entries(hub_env) == []


def test_redeliver_unknown_notice_exits_1(hub_env: str) -> None:
    result = CliRunner().invoke(redeliver_command, ["999999", "--operator", OPERATOR])

    assert result.exit_code == 1
    assert result.stdout == ""
    assert "通知书“999999”不存在，请核对编号。" in result.stderr
    assert "Notice '999999' does not exist; check the id." in result.stderr


def test_redeliver_delivered_notice_exits_1(hub_env: str, bureau: Bureau) -> None:
    [notice_id] = poll(hub_env, judgment_change(1, 1))
    deliver_to(hub_env, bureau, AN_HOUR)

    result = CliRunner().invoke(redeliver_command, [str(notice_id), "--operator", OPERATOR])

    assert result.exit_code == 1
    assert result.stdout == ""
    assert "“已送达”（DELIVERED），不能重新发送" in result.stderr
    assert f"Notice {notice_id} is DELIVERED, so it cannot be redelivered" in result.stderr
    assert redeliver_entries(hub_env) == []
    assert bureau.notices()[0]["deliveries"] == 1


def test_redeliver_needs_attention_notice_exits_1(hub_env: str) -> None:
    [notice_id] = poll(hub_env, judgment_change(1, 1, effective_date=None))

    result = CliRunner().invoke(redeliver_command, [str(notice_id), "--operator", OPERATOR])

    assert result.exit_code == 1
    assert "“待人工处理”（NEEDS_ATTENTION）" in result.stderr
    assert redeliver_entries(hub_env) == []


def test_redeliver_while_lease_held_exits_1(hub_env: str, bureau: Bureau) -> None:
    [notice_id] = poll(hub_env, judgment_change(1, 1))
    bureau.configure(fault="http_500", fail_next=100)
    deliver_to(hub_env, bureau, RetryPolicy(base_s=0.0, cap_s=0.0, failing_after=1))
    with_store(hub_env, lambda store: _claim(store, "busy-deliverer", 10, RetryPolicy(lease_s=60.0)))

    result = CliRunner().invoke(redeliver_command, [str(notice_id), "--operator", OPERATOR])

    assert result.exit_code == 1
    assert f"通知书 {notice_id} 正在发送" in result.stderr
    assert f"Notice {notice_id} is being sent now" in result.stderr
    assert redeliver_entries(hub_env) == []


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["1"], "Missing option '--operator'"),
        (["1", "--operator", ""], "应为操作员的用户标识"),
        (["1", "--operator", "a b"], "Expected your user id"),
        (["1", "--operator", "x" * 65], "应为操作员的用户标识"),
        (["0", "--operator", OPERATOR], "Invalid value for 'NOTICE_ID'"),
        (["abc", "--operator", OPERATOR], "Invalid value for 'NOTICE_ID'"),
    ],
)
def test_redeliver_bad_input_exits_2(scratch_env: Path, arguments: list[str], message: str) -> None:
    result = CliRunner().invoke(redeliver_command, arguments)

    assert result.exit_code == 2
    assert message in result.stderr
    assert not scratch_env.exists()


def test_redeliver_operator_name_not_echoed(scratch_env: Path) -> None:
    result = CliRunner().invoke(redeliver_command, ["1", "--operator", "沙马拉且"])

    assert result.exit_code == 2
    assert "沙马拉且" not in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["notices"],
        ["redeliver", "3", "--operator", "u-ops-1"],
        ["poll-identity", "police"],
        ["poll-identity", "justice_bureau"],
        ["relink"],
        ["people", "阿苏拉哈"],
        ["poll", "court"],
        ["deliver"],
        ["receipts"],
    ],
)
def test_command_outside_the_hub_folder_creates_no_store(
    args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default store path is relative: in another folder the file is missing. Say so, create nothing."""
    missing = tmp_path / "elsewhere" / "var" / "hub.sqlite"
    monkeypatch.setenv("HUB_STORE_URL", f"sqlite+aiosqlite:///{missing}")
    # Loopback ports where nothing listens: the store is checked before any call is made.
    monkeypatch.setenv("HUB_COURT_URL", "http://127.0.0.1:9/court")
    monkeypatch.setenv("HUB_BUREAU_URL", "http://127.0.0.1:9/bureau")
    from hub.cli import hub as hub_cli

    result = CliRunner().invoke(hub_cli, args)

    assert result.exit_code == 1
    assert "枢纽数据库文件不存在" in result.output
    assert "does not exist" in result.output
    assert not missing.exists()
    assert not missing.parent.exists()


@pytest.mark.parametrize(
    ("args", "chinese", "english"),
    [
        (
            ["notices", "--status", "bogus"],
            "参数 --status 的值无效，可选值：pending、",
            "Invalid value for '--status'",
        ),
        (["notices", "--limit", "0"], "参数 --limit 的值无效，应为不小于 1 的整数。", "x>=1"),
        (["redeliver", "abc", "--operator", "u-1"], "参数 NOTICE_ID 的值无效，应为 1 到 ", "NOTICE_ID"),
        (["redeliver", "5"], "缺少参数 --operator。", "Missing option '--operator'"),
        (["redeliver", "-5", "--operator", "u-1"], "没有选项 -5。", "No such option"),
        (["people", "吉", "--birth-date", "吉克阿呷"], "日期应写作 YYYY-MM-DD。", "--birth-date"),
        (["people", "吉", "--limit", "0"], "参数 --limit 的值无效，应为不小于 1 的整数。", "x>=1"),
    ],
)
def test_usage_error_gets_a_chinese_line_first(args: list[str], chinese: str, english: str) -> None:
    completed = subprocess.run(
        [sys.executable, "-c", "from hub.cli import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert completed.returncode == 2
    first = completed.stderr.splitlines()[0]
    assert chinese in first
    assert f"hub {args[0]} --help" in first
    assert "吉克阿呷" not in first  # a typed value may be a name: the Chinese line does not repeat it
    assert english in completed.stderr


def test_new_store_file_is_noted_on_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "var" / "hub.sqlite"
    existing = tmp_path / "hub.sqlite"
    existing.touch()

    noted = note_new_store_file(f"sqlite+aiosqlite:///{missing}")
    quiet = note_new_store_file(f"sqlite+aiosqlite:///{existing}")
    err = capsys.readouterr().err

    assert noted == missing
    assert quiet is None
    assert err.startswith("注意：枢纽数据库")
    assert str(missing.resolve()) in err
    assert "HUB_STORE_URL" in err
    assert err.count("\n") == 1


def test_migrate_reports_created_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    created = tmp_path / "new" / "var" / "hub.sqlite"
    monkeypatch.setenv("HUB_STORE_URL", f"sqlite+aiosqlite:///{created}")

    first = CliRunner().invoke(migrate_command, [])
    again = CliRunner().invoke(migrate_command, [])

    assert first.exit_code == 0, first.output
    assert first.stderr.startswith("注意：枢纽数据库")
    assert first.stdout.startswith(f"已新建枢纽数据库并升级到最新版本：{created.resolve()}")
    assert created.exists()
    assert again.stdout == "枢纽数据库已是最新版本。 / The hub's database is up to date.\n"
    assert again.stderr == ""


def test_auto_migrate_creates_working_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    created = tmp_path / "new" / "var" / "hub.sqlite"
    monkeypatch.setenv("HUB_STORE_URL", f"sqlite+aiosqlite:///{created}")
    monkeypatch.setenv("HUB_AUTO_MIGRATE", "true")
    monkeypatch.setenv("HUB_AUDIT_SIGNING_KEY_FILE", str(tmp_path / "audit-key.pem"))
    monkeypatch.setenv("HUB_BUREAU_URL", "http://127.0.0.1:9/bureau")  # nothing listens there

    result = CliRunner().invoke(receipts_command, [])

    assert result.stderr.startswith("注意：枢纽数据库")
    assert "HUB_STORE_URL" in result.stderr
    assert "不可用或尚未初始化" not in result.output
    assert created.exists()


def test_people_empty_name_is_usage_error(hub_env: str) -> None:
    result = CliRunner().invoke(people_command, [""])

    assert result.exit_code == 2
    assert "至少一个汉字" in result.output
    assert "at least one Chinese character" in result.output
