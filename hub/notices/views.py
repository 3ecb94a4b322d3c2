"""The read side of correction notices, receipts and reporting in recorded by officers, and change events.

Overdue rule, per status (``hub.deadlines.overdue``: done after the due date, or not done and
today past it; "today" is the date in China Standard Time):

- ``routed_to_police``: no justice-bureau deadline applies, never overdue;
- every other status, item ``notice``: due ``notice_due``, done on the day the notice was
  delivered online, or for a notice never delivered online, the day the bureau signed for it;
- once a receipt is due (``receipt_due`` is set on delivery), item ``receipt``: due
  ``receipt_due``, done on the day of the receipt;
- item ``reporting``: due ``reporting_due`` (CC Law art. 21: ten days from the judgment taking
  effect), done on ``reported_on``, the day the person reported in to the correction office,
  which the bureau sends with its receipts or an officer records (``record_reporting``). So it
  is overdue once ``reporting_due`` has passed with no ``reported_on``, and stays overdue
  (late) when ``reported_on`` is after ``reporting_due``.

A notice is overdue when any item is. Documents are not judged: they travel on paper outside
the hub, so ``documents_due`` is shown but never makes a notice overdue.

Subscribers learn of changes two ways. Changes made in this process (``acknowledge_receipt``,
``record_reporting``, ``redeliver_notice``)
are published on ``hub.pubsub`` at once, reaching every replica when Redis is configured.
Changes made by ``hub poll``, ``hub deliver`` and ``hub receipts`` (separate processes, run by
cron) are found by one watcher per process that reads the rows whose ``updated_at`` moved,
every ``watch_interval_s`` seconds while anyone subscribes. Each subscriber sends a given
version of a notice (id, ``updated_at``) once, whichever way it arrived.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime as dt
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, RowMapping, or_, select, true, update
from sqlalchemy.exc import SQLAlchemyError

from adapters.errors import InvalidNoticeArgument, NoticeNotFound
from adapters.regions import current_county
from hub.audit import notice_entry
from hub.auth import Principal
from hub.calendar import WorkingDayCalendar
from hub.deadlines import DeadlineRules, due_dates, overdue
from hub.notices.delivery import CHINA_STANDARD_TIME
from hub.notices.redeliver import make_due_now
from hub.notices.scope import notice_counties
from hub.pubsub import NOTICE_CHANNEL, InProcessPubSub, NoticeChange, PubSub, publish_notice_change
from hub.security_setup import AuditLog
from hub.store import NoticeStatus, Store, notices, utcnow
from schema.context import NoticeFilter

logger = logging.getLogger(__name__)

MAX_PAGE_SIZE = 100
WATCH_INTERVAL_S = 1.0
# Rows are re-read this far behind the newest ``updated_at`` seen, so a writer whose
# transaction commits a few seconds after it stamped the row (or whose clock lags) is not missed.
WATCH_OVERLAP = dt.timedelta(seconds=5)
# Overdue filtering happens in Python, so the page is read from the store in batches this big.
SCAN_BATCH = 200
_CURSOR_PREFIX = "notice:"
_STORE_CHANNEL = "store"
_SENT_MEMORY = 10_000


@dataclass(frozen=True, slots=True)
class NoticeView:
    id: int
    case_number: str
    case_number_raw: str
    court_name: str
    status: str
    attention_reason: str | None
    correction_type: str | None
    county_code: str | None
    bureau_county_code: str | None
    person_name_masked: str
    id_number_masked: str | None
    effective_date: dt.date | None
    notice_due: dt.date | None
    documents_due: dt.date | None
    reporting_due: dt.date | None
    receipt_due: dt.date | None
    overdue_items: tuple[str, ...]
    attempts: int
    last_error: str | None
    next_attempt_at: dt.datetime | None
    delivered_at: dt.datetime | None
    receipt_at: dt.datetime | None
    reported_on: dt.date | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @property
    def overdue(self) -> bool:
        return bool(self.overdue_items)

    @property
    def counties(self) -> tuple[str, ...]:
        return notice_counties(self.bureau_county_code, self.county_code, self.case_number)


@dataclass(frozen=True, slots=True)
class NoticePage:
    items: tuple[NoticeView, ...]
    next_cursor: str | None  # None on the last page


@dataclass(frozen=True, slots=True)
class NoticeIndicators:
    period_start: dt.date
    period_end: dt.date
    county_code: str | None
    total: int
    counts_by_status: tuple[tuple[str, int], ...]
    for_bureau: int  # notices a bureau must receive: all but those routed to the police
    sent_on_time: int
    with_receipt: int
    received_by_reporting_due: int
    # Reporting in (CC Law art. 21): ``reporting_known`` counts the notices whose outcome is
    # known, reported in or past ``reporting_due``; ``reported_in_time`` those reported by it.
    reported_in_time: int = 0
    reporting_known: int = 0

    @property
    def reported_in_time_share(self) -> float | None:
        return _share(self.reported_in_time, self.reporting_known)

    @property
    def sent_on_time_share(self) -> float | None:
        return _share(self.sent_on_time, self.for_bureau)

    @property
    def receipt_share(self) -> float | None:
        return _share(self.with_receipt, self.for_bureau)

    @property
    def received_by_reporting_due_share(self) -> float | None:
        return _share(self.received_by_reporting_due, self.for_bureau)


class NoticeService:
    """Notices for GraphQL: list, fetch, acknowledge a receipt, count, and stream changes."""

    def __init__(
        self,
        store: Store,
        calendar: WorkingDayCalendar,
        rules: DeadlineRules,
        pubsub: PubSub,
        *,
        audit: AuditLog | None = None,
        watch_interval_s: float | None = None,
        today: Callable[[], dt.date] | None = None,
    ) -> None:
        self.store = store
        self.audit = audit
        self.calendar = calendar
        self.rules = rules
        self.pubsub = pubsub
        self.watch_interval_s = watch_interval_s or WATCH_INTERVAL_S
        self._today = today or china_today
        self._local = InProcessPubSub()
        self._watcher: asyncio.Task[None] | None = None
        self._watch_from = utcnow()

    async def list_notices(self, filter: NoticeFilter, first: int, after: str | None) -> NoticePage:
        """Newest first (by id); ``after`` is the ``next_cursor`` of the page before."""
        if not 1 <= first <= MAX_PAGE_SIZE:
            raise InvalidNoticeArgument("notices.first", argument="first", value=first, maximum=MAX_PAGE_SIZE)
        conditions = self._conditions(filter)
        last_id = decode_cursor(after) if after else None
        today = self._today()
        batch = first + 1 if filter.overdue is None else max(first + 1, SCAN_BATCH)

        found: list[NoticeView] = []
        async with self.store.read() as conn:
            while len(found) <= first:
                after_last = notices.c.id < last_id if last_id is not None else true()
                statement = select(notices).where(*conditions, after_last).order_by(notices.c.id.desc())
                rows = (await conn.execute(statement.limit(batch))).mappings().all()
                views = (self._view(row, today) for row in rows)
                found += [view for view in views if filter.overdue is None or view.overdue == filter.overdue]
                if len(rows) < batch:
                    break
                last_id = rows[-1]["id"]

        items = tuple(found[:first])
        more = len(found) > first
        return NoticePage(items=items, next_cursor=encode_cursor(items[-1].id) if more else None)

    async def get_notice(self, notice_id: int) -> NoticeView:
        view = await self._find(notice_id)
        if view is None:
            raise NoticeNotFound(notice_id=str(notice_id))
        return view

    async def acknowledge_receipt(
        self, notice_id: int, received_on: dt.date | None, actor: Principal | None
    ) -> NoticeView:
        """Mark the notice received; a notice already received is returned unchanged.

        ``received_on`` defaults to today; a past day is stored as midnight China time of that day.
        """
        today = self._today()
        if received_on is not None and received_on > today:
            raise InvalidNoticeArgument(
                "notices.received_on", argument="receivedOn", value=received_on, today=today
            )
        now = utcnow()
        receipt_at = now if received_on in (None, today) else _china_midnight(received_on)

        async with self.store.engine.begin() as conn:
            status = await conn.scalar(select(notices.c.status).where(notices.c.id == notice_id))
            if status is None:
                raise NoticeNotFound(notice_id=str(notice_id))
            if status == NoticeStatus.ROUTED_TO_POLICE:
                raise InvalidNoticeArgument(
                    "notices.not_for_bureau", argument="noticeId", notice_id=notice_id
                )
            changed = await conn.execute(
                update(notices)
                .where(notices.c.id == notice_id, notices.c.status != NoticeStatus.RECEIVED)
                .values(
                    status=NoticeStatus.RECEIVED, receipt_at=receipt_at, next_attempt_at=None, updated_at=now
                )
            )
            if changed.rowcount and self.audit is not None:
                entry = notice_entry(
                    actor, notice_id, status, NoticeStatus.RECEIVED, operation="acknowledgeReceipt"
                )
                await self.audit.record(conn, entry)
        view = await self.get_notice(notice_id)
        if not changed.rowcount:
            return view

        logger.info("notice %d receipt acknowledged by %s", notice_id, actor.user_id if actor else "system")
        await publish_notice_change(self.pubsub, _change_of(view))
        return view

    async def record_reporting(
        self, notice_id: int, reported_on: dt.date, actor: Principal | None
    ) -> NoticeView:
        """Record the day the person reported in; the same day again changes nothing.

        A different day replaces the one stored (an officer's correction, audited as well).
        """
        today = self._today()
        if reported_on > today:
            raise InvalidNoticeArgument(
                "notices.reported_on", argument="reportedOn", value=reported_on, today=today
            )
        async with self.store.engine.begin() as conn:
            found = (await conn.execute(select(notices).where(notices.c.id == notice_id))).mappings().first()
            row = _reportable(found, notice_id, reported_on)
            changed = await conn.execute(
                update(notices)
                .where(notices.c.id == notice_id, _reported_on_differs(reported_on))
                .values(reported_on=reported_on, updated_at=utcnow())
            )
            if changed.rowcount and self.audit is not None:
                status = row["status"]
                entry = notice_entry(actor, notice_id, status, status, operation="recordReporting")
                await self.audit.record(conn, entry)
        view = await self.get_notice(notice_id)
        if changed.rowcount:
            logger.info(
                "notice %d reporting in recorded by %s", notice_id, actor.user_id if actor else "system"
            )
            await publish_notice_change(self.pubsub, _change_of(view))
        return view

    async def redeliver_notice(self, notice_id: int, actor: Principal) -> NoticeView:
        """Make a FAILING or PENDING notice due for the next ``hub deliver`` run (``make_due_now``)."""
        changed = await make_due_now(self.store, notice_id, actor, self.audit)
        view = await self.get_notice(notice_id)
        if changed:
            await publish_notice_change(self.pubsub, _change_of(view))
        return view

    async def indicators(
        self, period_start: dt.date, period_end: dt.date, county_code: str | None
    ) -> NoticeIndicators:
        """Count the notices whose judgments took effect from ``period_start`` to ``period_end``."""
        filter = NoticeFilter(county_code=county_code, effective_from=period_start, effective_to=period_end)
        conditions = self._conditions(filter)
        async with self.store.read() as conn:
            rows = (await conn.execute(select(notices).where(*conditions))).mappings().all()

        today = self._today()
        counts = dict.fromkeys(NoticeStatus.ALL, 0)
        sent_on_time = with_receipt = by_reporting_due = reported_in_time = reporting_known = 0
        for row in rows:
            counts[row["status"]] = counts.get(row["status"], 0) + 1
            if row["status"] == NoticeStatus.ROUTED_TO_POLICE:
                continue
            notice_due, _, reporting_due = self._due(row)
            delivered_on = _china_date(row["delivered_at"])
            received_on = _china_date(row["receipt_at"])
            sent_on_time += _on_time(delivered_on, notice_due)
            with_receipt += received_on is not None
            by_reporting_due += _on_time(received_on, reporting_due)
            reported_in_time += _on_time(row["reported_on"], reporting_due)
            reporting_known += _reporting_known(row["reported_on"], reporting_due, today)

        return NoticeIndicators(
            period_start=period_start,
            period_end=period_end,
            county_code=_current_county_code(county_code) if county_code else None,
            total=len(rows),
            counts_by_status=tuple(counts.items()),
            for_bureau=len(rows) - counts[NoticeStatus.ROUTED_TO_POLICE],
            sent_on_time=sent_on_time,
            with_receipt=with_receipt,
            received_by_reporting_due=by_reporting_due,
            reported_in_time=reported_in_time,
            reporting_known=reporting_known,
        )

    async def changes(self, county_code: str | None) -> AsyncIterator[NoticeView]:
        """Yield each notice of the county (all counties for None) as it changes, until cancelled."""
        county = _current_county_code(county_code) if county_code else None
        queue: asyncio.Queue[NoticeChange] = asyncio.Queue()
        sent: OrderedDict[int, dt.datetime] = OrderedDict()

        async with (
            self.pubsub.subscribe(NOTICE_CHANNEL) as published,
            self._local.subscribe(_STORE_CHANNEL) as watched,
        ):
            if self._local.subscribers(_STORE_CHANNEL) == 1:
                self._watch_from = utcnow()
            self._start_watching()
            forwarders = [asyncio.create_task(_forward(source, queue)) for source in (published, watched)]
            try:
                while True:
                    change = await queue.get()
                    if county is not None and change.bureau_county_code != county:
                        continue
                    view = await self._find(change.notice_id)
                    if view is None or sent.get(view.id) == view.updated_at:
                        continue
                    _remember(sent, view)
                    yield view
            finally:
                for task in forwarders:
                    task.cancel()
                await asyncio.gather(*forwarders, return_exceptions=True)

    async def aclose(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            await asyncio.gather(self._watcher, return_exceptions=True)
            self._watcher = None
        await self._local.aclose()

    async def _find(self, notice_id: int) -> NoticeView | None:
        async with self.store.read() as conn:
            row = (await conn.execute(select(notices).where(notices.c.id == notice_id))).mappings().first()
        return None if row is None else self._view(row, self._today())

    def _start_watching(self) -> None:
        if self._watcher is None or self._watcher.done():
            self._watcher = asyncio.create_task(self._watch(), name="notice-store-watcher")

    async def _watch(self) -> None:
        """Publish rows whose ``updated_at`` moved since the first current subscriber arrived."""
        seen: dict[int, dt.datetime] = {}
        horizon: dt.datetime | None = None
        while True:
            await asyncio.sleep(self.watch_interval_s)
            if not self._local.subscribers(_STORE_CHANNEL):
                seen, horizon = {}, None
                continue
            primed = horizon is not None
            horizon = horizon or self._watch_from
            try:
                rows = await self._changed_since(horizon - WATCH_OVERLAP)
            except SQLAlchemyError as exc:
                logger.warning("watching notices for changes failed: %s", type(exc).__name__)
                continue

            for row in rows:
                stamp = row["updated_at"]
                if seen.get(row["id"]) == stamp:
                    continue
                seen[row["id"]] = stamp
                # On the first read, rows within the overlap before the subscription are old news.
                if primed or stamp > horizon:
                    change = NoticeChange(row["id"], row["bureau_county_code"], stamp.isoformat())
                    await self._local.publish(_STORE_CHANNEL, change.encode())
            horizon = max([horizon, *(row["updated_at"] for row in rows)])
            seen = {key: stamp for key, stamp in seen.items() if stamp > horizon - WATCH_OVERLAP}

    async def _changed_since(self, since: dt.datetime) -> Sequence[RowMapping]:
        statement = (
            select(notices.c.id, notices.c.bureau_county_code, notices.c.updated_at)
            .where(notices.c.updated_at > since)
            .order_by(notices.c.updated_at)
        )
        async with self.store.read() as conn:
            return (await conn.execute(statement)).mappings().all()

    def _conditions(self, filter: NoticeFilter) -> list[ColumnElement[bool]]:
        return notice_conditions(
            statuses=() if filter.status is None else (filter.status,),
            county_code=filter.county_code,
            effective_from=filter.effective_from,
            effective_to=filter.effective_to,
        )

    def _due(self, row: RowMapping) -> tuple[dt.date | None, dt.date | None, dt.date | None]:
        return row_due_dates(row, self.rules, self.calendar)

    def _view(self, row: RowMapping, today: dt.date) -> NoticeView:
        notice_due, documents_due, reporting_due = self._due(row)
        return NoticeView(
            id=row["id"],
            case_number=row["case_number"],
            case_number_raw=row["case_number_raw"],
            court_name=row["court_name"],
            status=row["status"],
            attention_reason=row["attention_reason"],
            correction_type=row["correction_type"],
            county_code=row["county_code"],
            bureau_county_code=row["bureau_county_code"],
            person_name_masked=row["person_name_masked"],
            id_number_masked=row["id_number_masked"],
            effective_date=row["effective_date"],
            notice_due=notice_due,
            documents_due=documents_due,
            reporting_due=reporting_due,
            receipt_due=row["receipt_due"],
            overdue_items=_overdue_items(row, notice_due, reporting_due, today),
            attempts=row["attempts"],
            last_error=row["last_error"],
            next_attempt_at=row["next_attempt_at"],
            delivered_at=row["delivered_at"],
            receipt_at=row["receipt_at"],
            reported_on=row["reported_on"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )


def _overdue_items(
    row: RowMapping, notice_due: dt.date | None, reporting_due: dt.date | None, today: dt.date
) -> tuple[str, ...]:
    if row["status"] == NoticeStatus.ROUTED_TO_POLICE:
        return ()
    items = []
    received_on = _china_date(row["receipt_at"])
    notified_on = _china_date(row["delivered_at"]) or received_on
    if notice_due is not None and overdue(notice_due, notified_on, today):
        items.append("notice")
    if row["receipt_due"] is not None and overdue(row["receipt_due"], received_on, today):
        items.append("receipt")
    if reporting_due is not None and overdue(reporting_due, row["reported_on"], today):
        items.append("reporting")
    return tuple(items)


def _reportable(row: RowMapping | None, notice_id: int, reported_on: dt.date) -> RowMapping:
    """Return ``row``, or reject a reporting-in day it cannot have: unknown notice, police case,
    a day before the judgment took effect (reporting in follows it, CC Law art. 21)."""
    if row is None:
        raise NoticeNotFound(notice_id=str(notice_id))
    if row["status"] == NoticeStatus.ROUTED_TO_POLICE:
        raise InvalidNoticeArgument(
            "notices.reporting_not_for_bureau", argument="noticeId", notice_id=notice_id
        )
    effective = row["effective_date"]
    if effective is not None and reported_on < effective:
        raise InvalidNoticeArgument(
            "notices.reported_before_effective", argument="reportedOn", value=reported_on, effective=effective
        )
    return row


def _reported_on_differs(reported_on: dt.date) -> ColumnElement[bool]:
    return or_(notices.c.reported_on.is_(None), notices.c.reported_on != reported_on)


def _reporting_known(reported_on: dt.date | None, reporting_due: dt.date | None, today: dt.date) -> bool:
    """Return whether reporting in can be judged yet: the person reported in, or the deadline passed."""
    return reported_on is not None or (reporting_due is not None and today > reporting_due)


def encode_cursor(notice_id: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{notice_id}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    """Return the id a cursor stands for; ``InvalidNoticeArgument`` for anything this hub did not issue."""
    try:
        text = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        text = ""
    number = text.removeprefix(_CURSOR_PREFIX)
    if not text.startswith(_CURSOR_PREFIX) or not number.isdigit() or len(number) > 18:
        raise InvalidNoticeArgument("notices.cursor", argument="after", value=cursor[:40])
    return int(number)


def china_today() -> dt.date:
    return utcnow().astimezone(CHINA_STANDARD_TIME).date()


def notice_conditions(
    *,
    statuses: Collection[str] = (),
    county_code: str | None = None,
    effective_from: dt.date | None = None,
    effective_to: dt.date | None = None,
) -> list[ColumnElement[bool]]:
    """Build the SQL conditions of a notice filter; each criterion left out matches every notice.

    ``county_code`` may be a county's code from before 2021: the notices are filed under the
    bureau of its current code (513425 under 513402).
    """
    if effective_from is not None and effective_to is not None and effective_from > effective_to:
        raise InvalidNoticeArgument(
            "notices.date_range", argument="effectiveFrom", start=effective_from, end=effective_to
        )
    conditions: list[ColumnElement[bool]] = []
    if county_code is not None:
        conditions.append(notices.c.bureau_county_code == _current_county_code(county_code))
    if statuses:
        conditions.append(notices.c.status.in_(list(statuses)))
    if effective_from is not None:
        conditions.append(notices.c.effective_date >= effective_from)
    if effective_to is not None:
        conditions.append(notices.c.effective_date <= effective_to)
    return conditions


def _current_county_code(code: str) -> str:
    county = current_county(code.strip())
    if county is None:
        raise InvalidNoticeArgument("notices.county", argument="countyCode", value=code[:20])
    return county.code


def _china_date(moment: dt.datetime | None) -> dt.date | None:
    return None if moment is None else moment.astimezone(CHINA_STANDARD_TIME).date()


def _china_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=CHINA_STANDARD_TIME).astimezone(dt.UTC)


def _on_time(done_on: dt.date | None, due: dt.date | None) -> bool:
    return done_on is not None and due is not None and done_on <= due


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _change_of(view: NoticeView) -> NoticeChange:
    return NoticeChange(view.id, view.bureau_county_code, view.updated_at.isoformat())


def _remember(sent: OrderedDict[int, dt.datetime], view: NoticeView) -> None:
    sent[view.id] = view.updated_at
    sent.move_to_end(view.id)
    if len(sent) > _SENT_MEMORY:
        sent.popitem(last=False)


async def _forward(source: AsyncIterator[str], queue: asyncio.Queue[NoticeChange]) -> None:
    async for text in source:
        change = NoticeChange.decode(text)
        if change is not None:
            queue.put_nowait(change)


def row_due_dates(
    row: Mapping[Any, Any], rules: DeadlineRules, calendar: WorkingDayCalendar
) -> tuple[dt.date | None, dt.date | None, dt.date | None]:
    """Notice, documents and reporting deadlines; computed when a needs-attention row lacks them."""
    stored = (row["notice_due"], row["documents_due"], row["reporting_due"])
    if row["notice_due"] is not None or row["effective_date"] is None:
        return stored
    due = due_dates(row["effective_date"], rules, calendar)
    return due.notice_due, due.documents_due, due.reporting_due
