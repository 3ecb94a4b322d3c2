"""Click commands of the notice flow: ``migrate``, ``poll court``, ``deliver``, ``receipts``,
``notices`` and ``redeliver``.

``hub.cli`` registers them (``COMMANDS``). Cron runs ``hub poll court``, ``hub deliver``
and ``hub receipts``; each run does its work once and exits, or repeats with ``--loop``.
Operators list notices with ``hub notices`` and retry one with ``hub redeliver``.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import unicodedata
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

import click
from sqlalchemy.exc import SQLAlchemyError

from adapters.bureau import BureauAdapter
from adapters.court import CourtAdapter
from adapters.errors import HubError, InvalidNoticeArgument
from adapters.regions import PREFECTURE_CODE, current_county
from hub import tracing
from hub.auth import Principal, Role, Unit, UnitAgency
from hub.cache_invalidation import judgments_hook
from hub.calendar import HolidayCalendar
from hub.deadlines import DeadlineRules
from hub.notices.config import NoticeSettings
from hub.notices.delivery import deliver
from hub.notices.drafts import reason_text
from hub.notices.locks import make_lock
from hub.notices.poll import newest_notices, poll_court
from hub.notices.poll import skip_history as skip_history_of
from hub.notices.receipts import collect_receipts
from hub.notices.redeliver import make_due_now
from hub.notices.views import row_due_dates
from hub.security_setup import AuditLog, audit_log
from hub.settings_load import load_settings
from hub.store import NoticeStatus, Store, create_store, migrate
from hub.store_folder import note_new_store_file, require_store_file
from schema.notices import checked_county_code

T = TypeVar("T")

DEFAULT_NOTICE_LIMIT = 50

# Header of ``hub notices``: Chinese names on the first line, English on the second.
NOTICE_COLUMNS = (
    ("编号", "id"),
    ("状态", "status"),
    ("案号", "case number"),
    ("姓名", "name"),
    ("身份证号", "ID number"),
    ("执行地", "county"),
    ("应通知日", "notice due"),
    ("尝试", "tries"),
    ("说明", "detail"),
)

# A user id in the form identity providers issue (``u-operator-513400``), kept as the audit entry's actor_id.
OPERATOR_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")


@click.command(
    "migrate", help="升级枢纽数据库到最新版本。 / Upgrade the hub's database to the newest schema."
)
def migrate_command() -> None:
    settings = load_settings()
    _run(lambda: migrate(settings.store_url))
    click.echo("枢纽数据库已是最新版本。 / The hub's database is up to date.")


LOOP_OPTION = click.option(
    "--loop", "loop_s", type=float, default=None, help="每隔若干秒重复一次。 / Repeat every N seconds."
)


@click.command(
    "poll",
    help="读取法院新生效判决，生成社区矫正通知书。"
    " / Read the court's newly effective judgments and draft correction notices.",
)
@click.argument("agency", type=click.Choice(["court"]))
@click.option(
    "--skip-history",
    is_flag=True,
    help="首次轮询时从法院当前最新变更开始，不补发历史判决。"
    " / On the first poll, start at the court's latest change instead of sending past judgments.",
)
@LOOP_OPTION
def poll_command(agency: str, skip_history: bool, loop_s: float | None) -> None:
    settings = load_settings()
    if not settings.court_url:
        raise click.ClickException("未配置法院服务地址 HUB_COURT_URL。 / HUB_COURT_URL is not set.")

    async def run() -> str:
        async with _store(settings) as store:
            court = CourtAdapter(
                settings.court_url or "", wsdl_url=settings.court_wsdl_url, timeout_s=settings.court_timeout_s
            )

            async def once() -> str:
                report = await poll_court(
                    store,
                    court,
                    lock=make_lock(store, settings.redis_url, ttl_s=settings.lock_ttl_s),
                    rules=settings.deadline_rules(),
                    calendar=_calendar(settings),
                    batch_size=settings.poll_batch_size,
                    audit=_audit_log(settings),
                    on_changes=judgments_hook(settings, store),
                )
                if not report.ran:
                    return "另一个轮询正在运行，本次跳过。 / Another poller holds the lock; skipped."
                return (
                    f"读取 {report.changes} 条变更，新建通知书 {report.created} 份（待发送 {report.pending}，"
                    f"需人工处理 {report.needs_attention}，移送公安 {report.routed_to_police}），"
                    f"水位 {report.watermark}。"
                    f" / changes read: {report.changes}, notices created: {report.created}."
                )

            try:
                await court.start()
                if skip_history:
                    await skip_history_of(store, court)
                return await _repeat(loop_s, once)
            finally:
                await court.aclose()

    click.echo(_run(run))


@click.command("deliver", help="向司法局发送待发通知书。 / Deliver pending notices to the justice bureaus.")
@LOOP_OPTION
def deliver_command(loop_s: float | None) -> None:
    settings = load_settings()
    endpoints = settings.bureau_url_by_county()
    if not endpoints:
        raise click.ClickException("未配置司法局服务地址 HUB_BUREAU_URL。 / HUB_BUREAU_URL is not set.")

    async def run() -> str:
        adapters = {
            url: BureauAdapter(url, timeout_s=settings.bureau_timeout_s) for url in set(endpoints.values())
        }
        by_county = {county: adapters[url] for county, url in endpoints.items()}
        try:
            async with _store(settings) as store:

                async def once() -> str:
                    report = await deliver(
                        store,
                        by_county,
                        rules=settings.deadline_rules(),
                        calendar=_calendar(settings),
                        policy=settings.retry_policy(),
                        batch_size=settings.deliver_batch_size,
                        audit=_audit_log(settings),
                    )
                    return (
                        f"送达 {report.delivered} 份，失败 {report.failed} 份。"
                        f" / {report.delivered} delivered, {report.failed} failed."
                    )

                return await _repeat(loop_s, once)
        finally:
            for adapter in adapters.values():
                await adapter.aclose()

    click.echo(_run(run))


@click.command("receipts", help="读取司法局回执。 / Collect receipts from the justice bureaus.")
@LOOP_OPTION
def receipts_command(loop_s: float | None) -> None:
    settings = load_settings()
    urls = sorted(set(settings.bureau_url_by_county().values()))
    if not urls:
        raise click.ClickException("未配置司法局服务地址 HUB_BUREAU_URL。 / HUB_BUREAU_URL is not set.")

    async def run() -> str:
        adapters = {url: BureauAdapter(url, timeout_s=settings.bureau_timeout_s) for url in urls}
        try:
            async with _store(settings) as store:
                lock = make_lock(store, settings.redis_url, ttl_s=settings.lock_ttl_s)

                async def once() -> str:
                    report = await collect_receipts(store, adapters, lock=lock, audit=_audit_log(settings))
                    return (
                        f"读取回执 {report.receipts} 份，已签收 {report.marked_received} 份。"
                        f" / {report.receipts} receipts, {report.marked_received} notices received."
                    )

                return await _repeat(loop_s, once)
        finally:
            for adapter in adapters.values():
                await adapter.aclose()

    click.echo(_run(run))


async def _repeat(loop_s: float | None, once: Callable[[], Awaitable[str]]) -> str:
    """Run ``once``; with ``loop_s``, run it every ``loop_s`` seconds until interrupted.

    In a loop, a hub error of one round (an agency down, say) is printed and the next round
    still runs, as the next cron run would.
    """
    context = click.get_current_context()
    command, params = context.command.name or "job", context.params
    if loop_s is None:
        with tracing.job_span(command, params):
            return await once()
    while True:
        try:
            # One trace per round: a span over the whole loop would never end.
            with tracing.job_span(command, params):
                click.echo(await once())
        except HubError as exc:
            click.echo(f"本轮失败 / Round failed: {exc.bilingual()}", err=True)
        await asyncio.sleep(loop_s)


def _checked_county(context: click.Context, parameter: click.Parameter, value: str | None) -> str | None:
    """Convert ``--county`` to the receiving bureau's code (513425 → 513402), as the console's filter does.

    A malformed code, or one that is not a Liangshan county, is a usage error (exit status 2).
    """
    if value is None:
        return None
    try:
        code = checked_county_code(value)
    except InvalidNoticeArgument as exc:
        raise click.BadParameter(exc.bilingual(), context, parameter) from exc
    county = current_county(code)
    return county.code if county else code


@click.command(
    "notices",
    help="列出通知书及其状态，最新的在前（身份已脱敏）。 / List notices, newest first (masked identities).",
)
@click.option(
    "--status",
    "statuses",
    type=click.Choice(NoticeStatus.ALL, case_sensitive=False),
    multiple=True,
    help="只列出该状态的通知书；可重复给出，不区分大小写。"
    " / List only notices in this status. Repeat it for several statuses; any letter case.",
)
@click.option(
    "--county",
    "county_code",
    metavar="CODE",
    callback=_checked_county,
    help="只列出该县（市）司法局接收的通知书，6 位县级代码，如西昌市 513401。"
    " / List only notices for this county's justice bureau: a six-digit code such as 513401.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=DEFAULT_NOTICE_LIMIT,
    show_default=True,
    help="最多列出的份数，从最新的开始。 / Maximum number of notices to list, newest first.",
)
def notices_command(statuses: tuple[str, ...], county_code: str | None, limit: int) -> None:
    settings = load_settings()

    async def run() -> tuple[list[dict[str, object]], int]:
        async with _store(settings, existing=True) as store:
            return await newest_notices(store, statuses=statuses, bureau_county_code=county_code, limit=limit)

    rows, total = _run(run)
    if not rows:
        click.echo(_no_notices_message(statuses, county_code))
        return

    rules, calendar = settings.deadline_rules(), _calendar(settings)
    click.echo(_table(NOTICE_COLUMNS, [_notice_cells(row, rules, calendar) for row in rows]))
    more = total - len(rows)
    if more > 0:
        click.echo(
            f"另有 {more} 份较早的通知书未列出；可调大 --limit，或用 --status、--county 缩小范围。"
            f" / {more} older {'notice' if more == 1 else 'notices'} not listed;"
            " raise --limit or narrow with --status or --county."
        )
    else:
        click.echo(f"共 {total} 份通知书。 / Notices listed: {total}.")


def _notice_cells(row: Mapping[str, Any], rules: DeadlineRules, calendar: HolidayCalendar) -> list[str]:
    notice_due, _, _ = row_due_dates(row, rules, calendar)
    details = []
    if row["last_error"]:
        details.append(f"最近错误: {row['last_error']}")
    if row["attention_reason"]:
        details.append(reason_text(str(row["attention_reason"])))
    return [
        str(row["id"]),
        str(row["status"]),
        str(row["case_number"]),
        str(row["person_name_masked"]),
        str(row["id_number_masked"] or "-"),
        _county_label(row["bureau_county_code"] or row["county_code"]),
        str(notice_due or "-"),
        str(row["attempts"]),
        " ".join(details) or "-",
    ]


def _county_label(code: str | None) -> str:
    """Show a county code with its Chinese name, or the bare code when the hub has no name for it."""
    if not code:
        return "-"
    county = current_county(code)
    return f"{code} {county.name_zh}" if county else code


def _no_notices_message(statuses: Sequence[str], county_code: str | None) -> str:
    if not statuses and county_code is None:
        return "枢纽中还没有通知书。 / The hub has no notices yet."
    filters_zh, filters_en = [], []
    if statuses:
        filters_zh.append("状态 " + "、".join(statuses))
        filters_en.append("status " + ", ".join(statuses))
    if county_code is not None:
        filters_zh.append("执行地 " + _county_label(county_code))
        filters_en.append(f"county {county_code}")
    return f"没有符合条件的通知书（{'；'.join(filters_zh)}）。 / No notices match ({'; '.join(filters_en)})."


def _table(columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[str]]) -> str:
    """Lay out a two-line header and the rows in columns, counting a CJK character as two cells."""
    lines = [[zh for zh, _ in columns], [en for _, en in columns], *rows]
    # The last column is left unpadded, so no line ends in spaces.
    widths = [max(_display_width(line[index]) for line in lines) for index in range(len(columns) - 1)]
    laid_out = []
    for line in lines:
        cells = zip(line[:-1], widths, strict=True)
        padded = [cell + " " * (width - _display_width(cell)) for cell, width in cells]
        laid_out.append("  ".join([*padded, line[-1]]))
    return "\n".join(laid_out)


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _checked_operator(context: click.Context, parameter: click.Parameter, value: str) -> str:
    operator = value.strip()
    if not OPERATOR_ID.fullmatch(operator):
        # The value is not echoed: an operator may have typed a person's name.
        raise click.BadParameter(
            "应为操作员的用户标识：1 到 64 个字母、数字或 . _ @ -，以字母或数字开头，例如 u-operator-513400。"
            " / Expected your user id: 1 to 64 letters, digits, '.', '_', '@' or '-', starting with"
            " a letter or digit, such as u-operator-513400.",
            context,
            parameter,
        )
    return operator


@click.command(
    "redeliver",
    help="让发送失败或正在退避等待的通知书立即到期，由下一次 `hub deliver` 发送一次，并记入审计日志。"
    " / Make a FAILING or backed-off PENDING notice due now, so the next `hub deliver` run"
    " sends it once; the change is audited.",
)
@click.argument("notice_id", type=click.IntRange(min=1, max=2**63 - 1))
@click.option(
    "--operator",
    required=True,
    callback=_checked_operator,
    help="执行操作的操作员用户标识，记入审计日志。 / Your user id, recorded in the audit log.",
)
def redeliver_command(notice_id: int, operator: str) -> None:
    settings = load_settings()
    actor = Principal(
        user_id=operator, unit=Unit(UnitAgency.HUB, PREFECTURE_CODE), roles=frozenset({Role.OPERATOR})
    )

    async def run() -> bool:
        async with _store(settings, existing=True) as store:
            return await make_due_now(store, notice_id, actor, _audit_log(settings))

    if _run(run):
        click.echo(
            f"通知书 {notice_id} 已安排重新发送：下一次 `hub deliver` 运行时发送，只发一次。"
            f"已记入审计日志（操作员 {operator}）。"
            f" / Notice {notice_id} is due now: the next `hub deliver` run sends it, once."
            f" Audited as operator {operator}."
        )
    else:
        click.echo(
            f"通知书 {notice_id} 已在等待发送，未作改动：下一次 `hub deliver` 运行时发送。"
            f" / Notice {notice_id} is already due, so nothing changed: the next `hub deliver` run sends it."
        )


COMMANDS: tuple[click.Command, ...] = (
    migrate_command,
    poll_command,
    deliver_command,
    receipts_command,
    notices_command,
    redeliver_command,
)


def _audit_log(settings: NoticeSettings) -> AuditLog:
    return audit_log(settings.audit_signing_key_file, settings.audit_checkpoint_every)


def _calendar(settings: NoticeSettings) -> HolidayCalendar:
    if settings.holiday_file:
        return HolidayCalendar.from_file(settings.holiday_file)
    return HolidayCalendar()


@contextlib.asynccontextmanager
async def _store(settings: NoticeSettings, *, existing: bool = False) -> AsyncIterator[Store]:
    """Open the store, migrating it first when so configured.

    With ``existing``, for commands that work on notices already there, a missing SQLite
    file is an error rather than a new empty store (``hub.store_folder``). Other commands
    create it, with a note on stderr.
    """
    if existing:
        require_store_file(settings.store_url)
    else:
        note_new_store_file(settings.store_url)
    if settings.auto_migrate:
        await migrate(settings.store_url)
    store = create_store(settings.store_url)
    try:
        yield store
    finally:
        await store.aclose()


def _run(work: Callable[[], Awaitable[T]]) -> T:
    """Run ``work``; turn hub and database errors into a Chinese-first message and exit status 1.

    SIGTERM, which cron's kill, systemd and ``docker stop`` send, cancels the work. Its locks
    are released on the way out, and the command exits with status 143.
    """

    async def main() -> T:
        current = asyncio.current_task()
        if current is not None:
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, current.cancel)
        return await work()

    try:
        return asyncio.run(main())
    except asyncio.CancelledError:
        click.echo(
            "收到终止信号 (SIGTERM)，已停止，持有的锁均已释放。"
            " / Stopped on SIGTERM; any lock held was released.",
            err=True,
        )
        raise click.exceptions.Exit(128 + signal.SIGTERM) from None
    except HubError as exc:
        raise click.ClickException(exc.bilingual()) from exc
    except SQLAlchemyError as exc:
        raise click.ClickException(
            "枢纽数据库不可用或尚未初始化，请先运行 `hub migrate`。"
            f" / The hub's database is unavailable or not migrated: {type(exc).__name__}"
        ) from exc
