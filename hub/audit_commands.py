"""``hub audit``: check the audit log's hash chain and signed checkpoints."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click

from hub.audit import DEFAULT_CHECKPOINT_EVERY, DEFAULT_SIGNING_KEY_FILE, load_public_key
from hub.audit_verify import PROBLEM_ZH, VerifyReport, verify
from hub.store.engine import DEFAULT_URL, create_engine


@click.group("audit", help="审计日志工具。 / Audit log tools.")
def audit() -> None:
    pass


@audit.command(
    "verify",
    help=(
        "校验审计日志的哈希链与签名检查点；发现问题时退出码为 1。"
        " / Verify the audit hash chain and signed checkpoints; exit code 1 on failure."
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
    report = asyncio.run(_verify(url, key_paths, checkpoint_every))
    click.echo(describe(report))
    if not report.ok:
        sys.exit(1)


async def _verify(url: str, key_paths: tuple[Path, ...], checkpoint_every: int) -> VerifyReport:
    engine = create_engine(url)
    keys = [load_public_key(path) for path in key_paths]
    try:
        return await verify(engine, keys, checkpoint_every=checkpoint_every or None)
    finally:
        await engine.dispose()


def describe(report: VerifyReport) -> str:
    """Format the report for operators: Chinese first, English after."""
    entries, checkpoints, last = report.entries, report.checkpoints, report.last_sequence
    summary = (
        f"已校验 {entries} 条审计记录、{checkpoints} 个检查点，最后序号 {last}。"
        f" / Checked {entries} entries, {checkpoints} checkpoints, last sequence {last}."
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
