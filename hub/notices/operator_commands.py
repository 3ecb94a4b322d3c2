"""Notice commands that operators run by hand: ``hub notices`` lists, ``hub redeliver`` retries one."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

import click

from adapters.errors import InvalidNoticeArgument
from adapters.regions import PREFECTURE_CODE, current_county
from hub.auth import Principal, Role, Unit, UnitAgency
from hub.calendar import HolidayCalendar
from hub.deadlines import DeadlineRules
from hub.notices.cli_support import notice_audit_log, notice_calendar, open_store, run_work
from hub.notices.drafts import reason_text
from hub.notices.poll import newest_notices
from hub.notices.redeliver import STATUS_NAMES_ZH, make_due_now
from hub.notices.views import row_due_dates
from hub.settings_load import load_settings
from hub.store import NoticeStatus
from schema.notices import checked_county_code

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
        async with open_store(settings, existing=True) as store:
            return await newest_notices(store, statuses=statuses, bureau_county_code=county_code, limit=limit)

    rows, total = run_work(run)
    if not rows:
        click.echo(_no_notices_message(statuses, county_code))
        return

    rules, calendar = settings.deadline_rules(), notice_calendar(settings)
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
        status_label(str(row["status"])),
        str(row["case_number"]),
        str(row["person_name_masked"]),
        str(row["id_number_masked"] or "-"),
        _county_label(row["bureau_county_code"] or row["county_code"]),
        str(notice_due or "-"),
        str(row["attempts"]),
        " ".join(details) or "-",
    ]


def status_label(status: str) -> str:
    """Show a notice status as the console names it, then as GraphQL spells it: ``已签收 RECEIVED``."""
    return f"{STATUS_NAMES_ZH.get(status, status)} {status.upper()}"


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
        async with open_store(settings, existing=True) as store:
            return await make_due_now(store, notice_id, actor, notice_audit_log(settings))

    if run_work(run):
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
