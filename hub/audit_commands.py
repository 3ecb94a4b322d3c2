"""``hub audit``: check the audit log's hash chain and signed checkpoints.

``hub audit verify`` exits 0 when the log is intact and 1 when it names a broken entry. It
exits 2 when it cannot check at all: an option is invalid, the SQLite file of ``--url`` does
not exist, the database cannot be opened or it has no audit tables.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click
from sqlalchemy import inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.audit import DEFAULT_CHECKPOINT_EVERY, DEFAULT_SIGNING_KEY_FILE, load_public_key
from hub.audit_verify import PROBLEM_ZH, VerifyReport, verify
from hub.store.audit_tables import audit_chain_head, audit_checkpoints, audit_entries
from hub.store.engine import DEFAULT_URL, create_engine, missing_sqlite_file

AUDIT_TABLES = (audit_entries.name, audit_chain_head.name, audit_checkpoints.name)


class StoreUnusable(click.ClickException):
    """Raised when ``--url`` names no database that contains the hub's audit log.

    It exits with status 2, as click's usage errors do, so that status 1 keeps meaning
    "the log failed verification".
    """

    exit_code = 2


@click.group("audit", help="审计日志工具。 / Audit log tools.")
def audit() -> None:
    pass


@audit.command(
    "verify",
    help=(
        "校验审计日志的哈希链与签名检查点；发现问题时退出码为 1，无法读取审计日志时为 2。"
        " / Verify the audit hash chain and signed checkpoints; exit code 1 on failure,"
        " 2 when the audit log cannot be read."
    ),
)
@click.option(
    "--url",
    default=DEFAULT_URL,
    show_default=True,
    envvar="HUB_STORE_URL",
    help="枢纽数据库地址，与 HUB_STORE_URL 相同。 / The hub store's SQLAlchemy URL, as HUB_STORE_URL.",
)
@click.option(
    "--public-key",
    "key_paths",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    multiple=True,
    default=[DEFAULT_SIGNING_KEY_FILE],
    envvar="HUB_AUDIT_SIGNING_KEY_FILE",
    show_default=True,
    help=(
        "检查点公钥（PEM；给出私钥文件时取其公钥）；密钥轮换后可重复给出新旧公钥。"
        " / Checkpoint public key (PEM); repeat it to accept the keys of before and after a rotation."
    ),
)
@click.option(
    "--checkpoint-every",
    type=click.IntRange(min=0),
    default=DEFAULT_CHECKPOINT_EVERY,
    envvar="HUB_AUDIT_CHECKPOINT_EVERY",
    show_default=True,
    help=(
        "检查点间隔（条）；0 表示不检查缺失的检查点。"
        " / Checkpoint interval; 0 skips the missing-checkpoint check."
    ),
)
def verify_command(url: str, key_paths: tuple[Path, ...], checkpoint_every: int) -> None:
    _require_sqlite_file(url)
    report = asyncio.run(_verify(url, key_paths, checkpoint_every))
    click.echo(describe(report))
    if not report.ok:
        sys.exit(1)


async def _verify(url: str, key_paths: tuple[Path, ...], checkpoint_every: int) -> VerifyReport:
    engine = create_engine(url)
    keys = [load_public_key(path) for path in key_paths]
    try:
        await _require_audit_tables(engine, _shown_url(url))
        return await verify(engine, keys, checkpoint_every=checkpoint_every or None)
    finally:
        await engine.dispose()


def _require_sqlite_file(url: str) -> None:
    """Reject a SQLite URL whose file is missing, before SQLite would create an empty one."""
    try:
        path = missing_sqlite_file(url)
    except ArgumentError as exc:
        # The URL is not echoed, because it may hold a password.
        raise StoreUnusable(
            "--url 不是有效的数据库地址，应写作 sqlite+aiosqlite:///var/hub.sqlite"
            " 或 postgresql+asyncpg://用户@主机/库名。"
            " / --url is not a valid database URL; expected sqlite+aiosqlite:///var/hub.sqlite"
            " or postgresql+asyncpg://user@host/name."
        ) from exc
    if path is not None:
        raise StoreUnusable(
            f"枢纽数据库文件不存在：{path.resolve()}。请检查 --url（或 HUB_STORE_URL）是否写错；"
            "相对路径从当前目录算起。"
            f" / The hub store file {path.resolve()} does not exist. Check --url (or HUB_STORE_URL)"
            " for a typing error; a relative path starts at the current directory."
        )


async def _require_audit_tables(engine: AsyncEngine, shown_url: str) -> None:
    """Reject a database without the audit tables: not the hub's store, or never migrated."""
    try:
        async with engine.connect() as conn:
            present = set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
    except (SQLAlchemyError, OSError) as exc:
        raise StoreUnusable(
            f"无法打开枢纽数据库 {shown_url}（{type(exc).__name__}）。请检查 --url（或 HUB_STORE_URL）"
            "以及数据库是否在运行。"
            f" / Cannot open the hub store {shown_url} ({type(exc).__name__}). Check --url"
            " (or HUB_STORE_URL) and that the database is running."
        ) from exc
    missing = [name for name in AUDIT_TABLES if name not in present]
    if missing:
        tables = ", ".join(missing)
        raise StoreUnusable(
            f"数据库 {shown_url} 中没有审计日志表（{tables}）：它不是枢纽数据库，或尚未迁移。"
            "请检查 --url（或 HUB_STORE_URL）；若确是枢纽数据库，请先运行 `hub migrate`。"
            f" / The database {shown_url} has no audit tables ({tables}): it is not a hub store,"
            " or it was never migrated. Check --url (or HUB_STORE_URL), or run `hub migrate`"
            " if it is the hub's store."
        )


def _shown_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def describe(report: VerifyReport) -> str:
    """Format the report for operators: Chinese first, English after."""
    entries, checkpoints, last = report.entries, report.checkpoints, report.last_sequence
    summary = (
        f"已校验 {entries} 条审计记录、{checkpoints} 个检查点，最后序号 {last}。"
        f" / Checked {_count(entries, 'entry', 'entries')},"
        f" {_count(checkpoints, 'checkpoint', 'checkpoints')}, last sequence {last}."
    )
    first = report.first
    if first is None:
        return f"审计日志完整。 / The audit log is intact.\n{summary}"
    lines = [
        f"审计日志校验失败：第 {first.sequence} 条起{PROBLEM_ZH[first.problem]}。"
        f" / Audit log verification failed at entry {first.sequence}: "
        f"{first.problem.value} ({first.detail}).",
        summary,
    ]
    lines.extend(
        f"  - {finding.sequence}: {PROBLEM_ZH[finding.problem]} / {finding.problem.value} ({finding.detail})"
        for finding in sorted(report.findings, key=lambda f: f.sequence)
    )
    return "\n".join(lines)


def _count(number: int, singular: str, plural: str) -> str:
    return f"{number} {singular if number == 1 else plural}"
