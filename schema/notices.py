"""Community-correction notices: list, one notice, indicators, receipts, reporting in, redelivery, changes.

Lists use a simple connection, ``NoticeConnection { items nextCursor }``: newest notices first,
``nextCursor`` is null on the last page and goes into ``after`` for the next one. Resolvers
reach ``info.context.notices`` (``schema.context.NoticeDesk``); identities arrive masked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncGenerator
from dataclasses import replace
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from adapters.errors import InvalidNoticeArgument, NoticeNotFound
from adapters.regions import COUNTIES, current_county
from schema.context import HubContext, NoticeFilter, NoticeIndicatorsView, NoticeRecord
from schema.enums import CorrectionType

DEFAULT_PAGE_SIZE = 20
COUNTY_HELP = "县级行政区划代码，513425 视同 513402 / county code; 513425 counts as 513402"


@strawberry.enum(description="通知书状态 / state of a correction notice in the hub")
class NoticeStatus(Enum):
    PENDING = "pending"
    NEEDS_ATTENTION = "needs_attention"
    DELIVERING = "delivering"
    DELIVERED = "delivered"
    FAILING = "failing"
    RECEIVED = "received"
    ROUTED_TO_POLICE = "routed_to_police"


@strawberry.enum(description="已逾期的期限 / a deadline that is missed")
class OverdueItem(Enum):
    NOTICE = strawberry.enum_value("notice", description="notice to the bureau, due on noticeDue")
    RECEIPT = strawberry.enum_value("receipt", description="the bureau's receipt, due on receiptDue")
    REPORTING = strawberry.enum_value(
        "reporting",
        description="the person reporting in to the correction office, due on reportingDue (CC Law art. 21)",
    )


@strawberry.type(description="社区矫正执行通知书 / community-correction notice; identities masked")
class Notice:
    id: strawberry.ID
    case_number: str = strawberry.field(description="canonical case number, e.g. （2026）川3401刑初12号")
    case_number_raw: str = strawberry.field(description="case number as the court wrote it")
    court_name: str
    status: NoticeStatus
    attention_reason: str | None = strawberry.field(
        description="comma-separated codes why an officer must act, e.g. county_unknown"
    )
    correction_type: CorrectionType | None
    county_code: str | None = strawberry.field(description="place of execution as the court recorded it")
    bureau_county_code: str | None = strawberry.field(description="county of the receiving justice bureau")
    county_name: str | None = strawberry.field(description="receiving county's Chinese name, e.g. 会理市")
    person_name_masked: str
    id_number_masked: str | None
    effective_date: dt.date | None
    notice_due: dt.date | None
    documents_due: dt.date | None
    reporting_due: dt.date | None
    receipt_due: dt.date | None = strawberry.field(description="set once the notice is delivered online")
    overdue: bool = strawberry.field(
        description=(
            "any overdueItems: the notice not delivered by noticeDue, the receipt not returned by "
            "receiptDue, or the person not reported in by reportingDue; notices routed to the police "
            "are never overdue"
        )
    )
    overdue_items: list[OverdueItem]
    attempts: int = strawberry.field(description="online delivery attempts so far")
    last_error: str | None
    next_attempt_at: dt.datetime | None = strawberry.field(
        description="下次发送时间 / when `hub deliver` may next send a PENDING or FAILING notice;"
        " later than now while it waits out a retry backoff"
    )
    delivered_at: dt.datetime | None
    receipt_at: dt.datetime | None
    reported_on: dt.date | None = strawberry.field(
        description="报到日期 / the day the person reported in to the correction office; null until known"
    )
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def from_record(cls, record: NoticeRecord) -> Notice:
        county = COUNTIES.get(record.bureau_county_code or "")
        return cls(
            id=strawberry.ID(str(record.id)),
            case_number=record.case_number,
            case_number_raw=record.case_number_raw,
            court_name=record.court_name,
            status=NoticeStatus(record.status),
            attention_reason=record.attention_reason,
            correction_type=CorrectionType(record.correction_type) if record.correction_type else None,
            county_code=record.county_code,
            bureau_county_code=record.bureau_county_code,
            county_name=county.name_zh if county else None,
            person_name_masked=record.person_name_masked,
            id_number_masked=record.id_number_masked,
            effective_date=record.effective_date,
            notice_due=record.notice_due,
            documents_due=record.documents_due,
            reporting_due=record.reporting_due,
            receipt_due=record.receipt_due,
            overdue=bool(record.overdue_items),
            overdue_items=[OverdueItem(item) for item in record.overdue_items],
            attempts=record.attempts,
            last_error=record.last_error,
            next_attempt_at=record.next_attempt_at,
            delivered_at=record.delivered_at,
            receipt_at=record.receipt_at,
            reported_on=record.reported_on,
            created_at=record.created_at,
            updated_at=record.updated_at,
        )


@strawberry.type(description="一页通知书 / one page of notices, newest first")
class NoticeConnection:
    items: list[Notice]
    next_cursor: str | None = strawberry.field(description="`after` for the next page; null on the last page")


@strawberry.input(name="NoticeFilter", description="通知书筛选条件 / criteria; omitted ones do not narrow")
class NoticeFilterInput:
    county_code: str | None = strawberry.field(default=None, description=COUNTY_HELP)
    status: NoticeStatus | None = None
    overdue: bool | None = None
    effective_from: dt.date | None = strawberry.field(default=None, description="inclusive")
    effective_to: dt.date | None = strawberry.field(default=None, description="inclusive")

    def to_filter(self) -> NoticeFilter:
        return NoticeFilter(
            county_code=self.county_code,
            status=self.status.value if self.status else None,
            overdue=self.overdue,
            effective_from=self.effective_from,
            effective_to=self.effective_to,
        )


@strawberry.type(description="各状态通知书数 / notices in one status")
class StatusCount:
    status: NoticeStatus
    count: int


@strawberry.type(
    description=(
        "社区矫正衔接指标 / indicators over the notices whose judgments took effect in the period. "
        "Shares are fractions from 0 to 1 over forBureau, and null when forBureau is 0 (an empty period); "
        "reportedInTimeShare alone is over reportingKnown."
    )
)
class NoticeIndicators:
    period_start: dt.date
    period_end: dt.date
    county_code: str | None = strawberry.field(description="current county code; null for the prefecture")
    total: int
    counts_by_status: list[StatusCount] = strawberry.field(description="every status, zeros included")
    for_bureau: int = strawberry.field(description="notices a bureau must receive: all but routed to police")
    sent_on_time: int = strawberry.field(description="delivered online on or before noticeDue (China time)")
    sent_on_time_share: float | None
    with_receipt: int
    receipt_share: float | None
    received_by_reporting_due: int = strawberry.field(
        description="receipts on or before reportingDue: the store's closest measure of reporting in"
    )
    received_by_reporting_due_share: float | None
    reported_in_time: int = strawberry.field(
        description="notices whose person reported in on or before reportingDue (CC Law art. 21)"
    )
    reporting_known: int = strawberry.field(
        description=(
            "notices whose reporting in can be judged: reportedOn is known, or reportingDue has passed "
            "(China time); later notices still within their ten days are left out"
        )
    )
    reported_in_time_share: float | None = strawberry.field(
        description=(
            "reportedInTime ÷ reportingKnown: the share of people reported in on time; "
            "null when reportingKnown is 0"
        )
    )

    @classmethod
    def from_view(cls, view: NoticeIndicatorsView) -> NoticeIndicators:
        return cls(
            period_start=view.period_start,
            period_end=view.period_end,
            county_code=view.county_code,
            total=view.total,
            counts_by_status=[StatusCount(status=NoticeStatus(s), count=n) for s, n in view.counts_by_status],
            for_bureau=view.for_bureau,
            sent_on_time=view.sent_on_time,
            sent_on_time_share=view.sent_on_time_share,
            with_receipt=view.with_receipt,
            receipt_share=view.receipt_share,
            received_by_reporting_due=view.received_by_reporting_due,
            received_by_reporting_due_share=view.received_by_reporting_due_share,
            reported_in_time=view.reported_in_time,
            reporting_known=view.reporting_known,
            reported_in_time_share=view.reported_in_time_share,
        )


async def resolve_notices(
    info: Info[HubContext, None],
    filter: NoticeFilterInput | None = None,
    first: Annotated[int, strawberry.argument(description="page size, 1 to 100")] = DEFAULT_PAGE_SIZE,
    after: Annotated[str | None, strawberry.argument(description="nextCursor of the previous page")] = None,
) -> NoticeConnection:
    access = info.context.access
    criteria = filter.to_filter() if filter else NoticeFilter()
    if criteria.county_code is not None:
        criteria = replace(criteria, county_code=checked_county_code(criteria.county_code))
    own = access.jurisdiction("notices")
    if criteria.county_code is not None:
        access.authorize("notices", criteria.county_code)
    elif own is not None:
        criteria = replace(criteria, county_code=own)

    page = await info.context.notices.list_notices(criteria, first, after)
    # The county filter matches the receiving bureau; each notice is checked again as a node.
    items = [record for record in page.items if access.allows("notice", record.counties)]
    notices = [Notice.from_record(record) for record in items]
    return NoticeConnection(items=notices, next_cursor=page.next_cursor)


async def resolve_notice(info: Info[HubContext, None], id: strawberry.ID) -> Notice | None:
    record = await info.context.notices.get_notice(parse_notice_id(id))
    info.context.access.authorize("notice", record.counties)
    return Notice.from_record(record)


async def resolve_indicators(
    info: Info[HubContext, None],
    period_start: Annotated[dt.date, strawberry.argument(description="first effective date, inclusive")],
    period_end: Annotated[dt.date, strawberry.argument(description="last effective date, inclusive")],
    county_code: Annotated[str | None, strawberry.argument(description=COUNTY_HELP)] = None,
) -> NoticeIndicators:
    access = info.context.access
    county = checked_county_code(county_code) if county_code else access.jurisdiction("indicators")
    access.authorize("indicators", county)
    view = await info.context.notices.indicators(period_start, period_end, county)
    return NoticeIndicators.from_view(view)


async def resolve_acknowledge_receipt(
    info: Info[HubContext, None], notice_id: strawberry.ID, received_on: dt.date | None = None
) -> Notice:
    context = info.context
    parsed = parse_notice_id(notice_id)
    context.access.authorize("acknowledgeReceipt", (await context.notices.get_notice(parsed)).counties)
    record = await context.notices.acknowledge_receipt(parsed, received_on)
    return Notice.from_record(record)


async def resolve_record_reporting(
    info: Info[HubContext, None], notice_id: strawberry.ID, reported_on: dt.date
) -> Notice:
    context = info.context
    parsed = parse_notice_id(notice_id)
    context.access.authorize("recordReporting", (await context.notices.get_notice(parsed)).counties)
    record = await context.notices.record_reporting(parsed, reported_on)
    return Notice.from_record(record)


async def resolve_redeliver_notice(info: Info[HubContext, None], notice_id: strawberry.ID) -> Notice:
    context = info.context
    parsed = parse_notice_id(notice_id)
    context.access.authorize("redeliverNotice", (await context.notices.get_notice(parsed)).counties)
    record = await context.notices.redeliver_notice(parsed)
    return Notice.from_record(record)


async def resolve_notice_changed(
    info: Info[HubContext, None],
    county_code: Annotated[str | None, strawberry.argument(description=COUNTY_HELP)] = None,
) -> AsyncGenerator[Notice, None]:
    access = info.context.access
    county = checked_county_code(county_code) if county_code else access.jurisdiction("noticeChanged")
    access.authorize("noticeChanged", county)
    async for record in info.context.notices.changes(county):
        # Checked per event: a notice can move county when an officer repairs it.
        if access.allows("noticeChanged", record.counties):
            yield Notice.from_record(record)


@strawberry.type
class Mutation:
    acknowledge_receipt: Notice = strawberry.mutation(
        resolver=resolve_acknowledge_receipt,
        description=(
            "司法局签收通知书 / the justice bureau signs for a notice; repeating it changes nothing. "
            "receivedOn defaults to today (China time) and may not lie in the future."
        ),
    )
    record_reporting: Notice = strawberry.mutation(
        resolver=resolve_record_reporting,
        description=(
            "登记报到日期 / record the day the person reported in to the correction office "
            "(CC Law art. 21); the same day again changes nothing, another day replaces it. "
            "reportedOn may not lie in the future (China time) or before the effective date."
        ),
    )
    redeliver_notice: Notice = strawberry.mutation(
        resolver=resolve_redeliver_notice,
        description=(
            "重新发送通知书 / make a FAILING notice, or a PENDING one waiting out a retry backoff, due now,"
            " so the next `hub deliver` run sends it with the same idempotency key. Sends nothing itself;"
            " attempts is kept; a notice already due is returned unchanged. Other statuses, and a notice"
            " a deliverer is sending at that moment, get BAD_USER_INPUT."
        ),
    )


@strawberry.type
class Subscription:
    notice_changed = strawberry.subscription(
        resolver=resolve_notice_changed,
        description=(
            "通知书变更 / each notice of the county as it changes, from this hub at once, and from the "
            "poller, deliverer and receipt collector within about a second"
        ),
    )


def parse_notice_id(value: str) -> int:
    """Parse a GraphQL ID; anything but a plain number is an id no notice has."""
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise NoticeNotFound(notice_id=text[:40])
    return int(text)


def checked_county_code(value: str) -> str:
    """Return the ``countyCode`` argument without spaces if it names a Liangshan county.

    Resolvers call it before the permission check, so a mistyped code is a
    ``BAD_USER_INPUT`` error and not a ``FORBIDDEN`` one about a county that does not exist.
    """
    code = value.strip()
    if len(code) != 6 or not (code.isascii() and code.isdigit()):
        raise InvalidNoticeArgument("notices.county_format", argument="countyCode", value=value[:20])
    if current_county(code) is None:
        raise InvalidNoticeArgument("notices.county", argument="countyCode", value=value[:20])
    return code
