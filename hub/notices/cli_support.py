"""Shared parts of the notice commands: the store they open, the audit log, the calendar, the runner.

``hub.notices.commands`` (the cron jobs) and ``hub.notices.operator_commands`` (what
operators run by hand) both use these.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

import click
from sqlalchemy.exc import SQLAlchemyError

from adapters.errors import HubError
from hub.calendar import HolidayCalendar
from hub.notices.config import NoticeSettings
from hub.security_setup import AuditLog, audit_log
from hub.store import Store, create_store, migrate
from hub.store_folder import note_new_store_file, require_store_file

T = TypeVar("T")


def notice_audit_log(settings: NoticeSettings) -> AuditLog:
    return audit_log(settings.audit_signing_key_file, settings.audit_checkpoint_every)


def notice_calendar(settings: NoticeSettings) -> HolidayCalendar:
    if settings.holiday_file:
        return HolidayCalendar.from_file(settings.holiday_file)
    return HolidayCalendar()


@contextlib.asynccontextmanager
async def open_store(settings: NoticeSettings, *, existing: bool = False) -> AsyncIterator[Store]:
    """Open the store, migrating it first when so configured.

    A missing SQLite file is an error rather than a new empty store (``hub.store_folder``),
    unless the command may create it (not ``existing``) and will migrate it
    (``HUB_AUTO_MIGRATE``): then it is created, with a note on stderr. Without migrating,
    a new file would have no tables, and the command would fail on it and leave it behind.
    """
    if existing or not settings.auto_migrate:
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


def run_work(work: Callable[[], Awaitable[T]]) -> T:
    """Run ``work``, turning hub and database errors into a Chinese-first message and exit status 1.

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
