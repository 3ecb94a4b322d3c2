"""Click commands of the person index: ``relink`` and ``people``, and the identity part of ``poll``.

``hub.cli`` registers ``COMMANDS``. ``poll_identity`` is what ``hub poll <agency>`` runs
for the index; the ``poll`` command of ``hub.notices.commands`` calls it for each agency
(for ``court`` after the notice poll). Long runs print their progress on stderr and can
be stopped with Ctrl-C and run again: they resume after the last committed page.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click

from adapters.correction import CorrectionAdapter
from adapters.court import CourtAdapter
from adapters.errors import HubError, InvalidIdentityArgument
from adapters.idnumber import mask_name
from adapters.police import PoliceAdapter
from adapters.prison import PrisonAdapter
from adapters.sql import SqlAdapter
from hub import tracing
from hub.cache_invalidation import judgments_hook, people_hook
from hub.identity.feed import FeedReport, feed_judgments, feed_people
from hub.identity.linkage import Outcome
from hub.identity.relink import relink
from hub.identity.service import IdentityService
from hub.settings import Settings
from hub.settings_load import load_settings
from hub.store import Store, create_store
from hub.store_folder import require_store_file

T = TypeVar("T")
AGENCIES = ("police", "prison", "correction", "court")
# The justice bureaus keep the correction records, and units name them justice_bureau.
AGENCY_ALIASES = {"justice_bureau": "correction"}
# Chinese wording of each linkage outcome in ``hub people``.
OUTCOMES_ZH = {Outcome.MATCH: "同一人", Outcome.POSSIBLE: "可能同一人", Outcome.NON_MATCH: "非同一人"}
_SQL: dict[str, tuple[type[SqlAdapter], str]] = {
    "police": (PoliceAdapter, "police_db_url"),
    "prison": (PrisonAdapter, "prison_db_url"),
    "correction": (CorrectionAdapter, "correction_db_url"),
}


def progress(phase: str, done: int, total: int) -> None:
    """One status line on stderr, rewritten in place on a terminal.

    Into a log file (cron, the demo) only a finished phase is written, one line each,
    because rewritten lines would run together there.
    """
    counted = f"{done}/{total}" if total else str(done)
    finished = bool(total) and done >= total
    if not sys.stderr.isatty():
        if finished:
            click.echo(f"{phase}: {counted}", err=True)
        return
    click.echo(f"\r{phase}: {counted}", nl=False, err=True)
    if finished:
        click.echo("", err=True)


async def poll_identity(store: Store, agency: str, settings: Settings) -> FeedReport:
    """Feed the person index from ``agency`` (police, prison, correction or court)."""
    if agency == "court":
        if not settings.court_url:
            raise click.ClickException("未配置法院服务地址 HUB_COURT_URL。 / HUB_COURT_URL is not set.")
        court = CourtAdapter(
            settings.court_url, wsdl_url=settings.court_wsdl_url, timeout_s=settings.court_timeout_s
        )
        try:
            await court.start()
            changed = judgments_hook(settings, store)
            return await feed_judgments(store, court, progress=progress, on_changes=changed)
        finally:
            await court.aclose()

    adapter_class, url_field = _SQL[agency]
    url = getattr(settings, url_field)
    if not url:
        variable = "HUB_" + url_field.upper()
        raise click.ClickException(f"未配置 {variable}。 / {variable} is not set.")
    adapter = adapter_class(url, timeout_s=30.0)
    try:
        hook = people_hook(adapter.agency, settings, store)
        return await feed_people(store, adapter, adapter.agency.value, progress=progress, on_page=hook)
    finally:
        await adapter.aclose()


def feed_message(report: FeedReport) -> str:
    ending = "已读完全表，下次从头开始" if report.swept else "尚未读完，下次从断点继续"
    return (
        f"人员索引：{report.agency} 读取 {report.read} 条，写入 {report.written} 条，{ending}。"
        f" / person index: {report.read} read from {report.agency}, swept={report.swept}."
    )


@click.command(
    "poll-identity", help="读取机关人员变更，更新人员索引。 / Feed the person index from an agency."
)
@click.argument("agency", type=click.Choice([*AGENCIES, *AGENCY_ALIASES]))
def poll_identity_command(agency: str) -> None:
    agency = AGENCY_ALIASES.get(agency, agency)
    settings = load_settings()

    require_store_file(settings.store_url)  # the index's tables come from `hub migrate`

    async def run() -> str:
        store = create_store(settings.store_url)
        try:
            report = await poll_identity(store, agency, settings)
        finally:
            await store.aclose()
        if sys.stderr.isatty():  # end the progress line rewritten in place
            click.echo("", err=True)
        return feed_message(report)

    click.echo(_run(run))


@click.command("relink", help="重新关联全部人员记录，枢纽人员编号保持不变。 / Relink the whole person index.")
def relink_command() -> None:
    url = load_settings().store_url
    require_store_file(url)

    async def run() -> str:
        store = create_store(url)
        try:
            report = await relink(store, progress=progress)
        finally:
            await store.aclose()
        return (
            f"关联 {report.records} 条记录为 {report.persons} 人；合并 {report.merged}，拆分 {report.split}，"
            f"待人工确认 {report.possible_matches}，更新 {report.written} 条。"
            f" / {report.records} records, {report.persons} people,"
            f" {report.possible_matches} possible matches."
        )

    click.echo(_run(run))


@click.command(
    "people", help="按姓名和出生日期查找人员（无身份证号时）。 / Search people by name and birth date."
)
@click.argument("name")
@click.option("--birth-date", type=click.DateTime(["%Y-%m-%d"]), default=None, help="出生日期 YYYY-MM-DD")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="最多列出的候选人数。 / Maximum number of candidates to list.",
)
def people_command(name: str, birth_date: dt.datetime | None, limit: int) -> None:
    url = load_settings().store_url
    require_store_file(url)

    async def run() -> list[str]:
        store = create_store(url)
        try:
            found = await IdentityService(store).search(
                name, birth_date.date() if birth_date else None, limit
            )
        finally:
            await store.aclose()
        return [
            f"{m.person_id:>8} 置信度 {m.confidence:.3f} 分值 {m.score:.1f} {OUTCOMES_ZH[m.outcome]} "
            f"{' / '.join(mask_name(n) for n in m.names)} 一致字段 {','.join(m.agreed) or '-'}"
            for m in found
        ]

    lines = _run(run)
    click.echo("\n".join(lines) if lines else "未找到。 / No candidates.")


COMMANDS: tuple[click.Command, ...] = (poll_identity_command, relink_command, people_command)


def _run(work: Callable[[], Awaitable[T]]) -> T:
    context = click.get_current_context()
    try:
        with tracing.job_span(context.command.name or "job", context.params):
            return asyncio.run(work())  # type: ignore[arg-type]
    except KeyboardInterrupt:
        click.echo("\n已中断；再次运行将从断点继续。 / Interrupted; run again to resume.", err=True)
        sys.exit(130)
    except InvalidIdentityArgument as exc:
        raise click.UsageError(exc.bilingual()) from exc  # bad input on the command line: status 2
    except HubError as exc:
        raise click.ClickException(exc.bilingual()) from exc
