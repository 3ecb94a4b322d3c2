"""Click commands of the notice flow: ``migrate``, ``poll court``, ``deliver`` and ``receipts``.

``hub.cli`` registers them with the operators' ``notices`` and ``redeliver``
(``hub.notices.operator_commands``) as ``COMMANDS``. Cron runs ``hub poll court``,
``hub deliver`` and ``hub receipts``; each run does its work once and exits, or repeats
with ``--loop``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import click

from adapters.bureau import BureauAdapter
from adapters.court import CourtAdapter
from adapters.errors import HubError
from hub import tracing
from hub.cache_invalidation import judgments_hook
from hub.notices.cli_support import notice_audit_log, notice_calendar, open_store, run_work
from hub.notices.delivery import deliver
from hub.notices.locks import make_lock
from hub.notices.operator_commands import notices_command, redeliver_command
from hub.notices.poll import poll_court
from hub.notices.poll import skip_history as skip_history_of
from hub.notices.receipts import collect_receipts
from hub.settings_load import load_settings
from hub.store import migrate
from hub.store_folder import note_new_store_file


@click.command(
    "migrate", help="升级枢纽数据库到最新版本。 / Upgrade the hub's database to the newest schema."
)
def migrate_command() -> None:
    settings = load_settings()
    created = note_new_store_file(settings.store_url)
    run_work(lambda: migrate(settings.store_url))
    if created is not None:
        click.echo(
            f"已新建枢纽数据库并升级到最新版本：{created.resolve()} / Created the hub's database at"
            f" {created.resolve()}, at the newest schema."
        )
    else:
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
        async with open_store(settings) as store:
            court = CourtAdapter(
                settings.court_url or "", wsdl_url=settings.court_wsdl_url, timeout_s=settings.court_timeout_s
            )

            async def once() -> str:
                report = await poll_court(
                    store,
                    court,
                    lock=make_lock(store, settings.redis_url, ttl_s=settings.lock_ttl_s),
                    rules=settings.deadline_rules(),
                    calendar=notice_calendar(settings),
                    batch_size=settings.poll_batch_size,
                    audit=notice_audit_log(settings),
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

    click.echo(run_work(run))


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
            async with open_store(settings) as store:

                async def once() -> str:
                    report = await deliver(
                        store,
                        by_county,
                        rules=settings.deadline_rules(),
                        calendar=notice_calendar(settings),
                        policy=settings.retry_policy(),
                        batch_size=settings.deliver_batch_size,
                        audit=notice_audit_log(settings),
                    )
                    return (
                        f"送达 {report.delivered} 份，失败 {report.failed} 份。"
                        f" / {report.delivered} delivered, {report.failed} failed."
                    )

                return await _repeat(loop_s, once)
        finally:
            for adapter in adapters.values():
                await adapter.aclose()

    click.echo(run_work(run))


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
            async with open_store(settings) as store:
                lock = make_lock(store, settings.redis_url, ttl_s=settings.lock_ttl_s)

                async def once() -> str:
                    report = await collect_receipts(
                        store, adapters, lock=lock, audit=notice_audit_log(settings)
                    )
                    return (
                        f"读取回执 {report.receipts} 份，已签收 {report.marked_received} 份。"
                        f" / {report.receipts} receipts, {report.marked_received} notices received."
                    )

                return await _repeat(loop_s, once)
        finally:
            for adapter in adapters.values():
                await adapter.aclose()

    click.echo(run_work(run))


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


COMMANDS: tuple[click.Command, ...] = (
    migrate_command,
    poll_command,
    deliver_command,
    receipts_command,
    notices_command,
    redeliver_command,
)
