"""``poll_court``: read judgment changes past the watermark and write one notice per judgment.

Each batch is one transaction: the notices, their outbox entries and the new watermark
commit together or not at all. After a crash the batch is read again, and the unique key on
the judgment (court, canonical case number) absorbs what was already written.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import asdict, dataclass
from typing import Protocol

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.records import JudgmentChange
from hub import tracing
from hub.audit import notice_entry
from hub.calendar import WorkingDayCalendar
from hub.deadlines import DeadlineRules
from hub.notices.drafts import NoticeDraft, draft_notice, failed_draft
from hub.notices.locks import PollLock
from hub.notices.views import notice_conditions
from hub.notices.watermarks import WatermarkMoved, advance_watermark, read_watermark
from hub.security_setup import AuditLog
from hub.store import NoticeStatus, Store, dialect_insert, notices, outbox, utcnow

logger = logging.getLogger(__name__)

COURT_AGENCY = "court"


class CourtChanges(Protocol):
    async def judgment_changes(self, after_sequence: int, limit: int = 100) -> list[JudgmentChange]: ...


@dataclass(slots=True)
class PollReport:
    """Counts of one ``poll_court`` run. ``ran`` is False when another poller had the lock."""

    ran: bool
    changes: int = 0
    created: int = 0
    pending: int = 0
    needs_attention: int = 0
    routed_to_police: int = 0
    repaired: int = 0  # needs-attention notices a later change completed
    watermark: int = 0
    interrupted: bool = False  # another poller moved the watermark; this batch rolled back


async def skip_history(
    store: Store, court: CourtChanges, *, agency: str = COURT_AGENCY, page: int = 1000
) -> int | None:
    """Start a never-polled court at its latest change, so judgments from before the hub are not sent.

    Returns the new watermark, or None when the court was polled before and nothing changed.
    """
    position = await read_watermark(store, agency)
    if position:
        return None

    latest = 0
    while changes := await court.judgment_changes(latest, page):
        latest = max(change.sequence for change in changes)
        if len(changes) < page:
            break
    if latest == 0:
        return None
    try:
        async with store.engine.begin() as conn:
            await advance_watermark(store, conn, agency, 0, latest)
    except WatermarkMoved:
        return None
    logger.info("poll %s starts after existing change %d: earlier judgments are not sent", agency, latest)
    return latest


async def poll_court(
    store: Store,
    court: CourtChanges,
    *,
    lock: PollLock,
    rules: DeadlineRules,
    calendar: WorkingDayCalendar,
    batch_size: int = 100,
    max_batches: int = 50,
    agency: str = COURT_AGENCY,
    audit: AuditLog | None = None,
    on_changes: Callable[[Sequence[JudgmentChange]], Awaitable[None]] | None = None,
) -> PollReport:
    """Run one poll of the court: at most ``max_batches`` batches of ``batch_size`` changes.

    ``on_changes`` is called with each batch before it commits (``hub.cache_invalidation``).
    """
    async with lock.hold(f"poll:{agency}") as acquired:
        if not acquired:
            logger.info("poll %s skipped: lock taken by another poller", agency)
            return PollReport(ran=False, watermark=await read_watermark(store, agency))

        report = PollReport(ran=True)
        for _ in range(max_batches):
            position = await read_watermark(store, agency)
            report.watermark = position
            with tracing.span("court judgment_changes", {"hub.agency": "court"}, kind="client"):
                listed = await court.judgment_changes(position, batch_size)
            changes = [c for c in listed if c.sequence > position]
            if not changes:
                break

            drafts = [_draft(change, rules, calendar) for change in changes]
            new_position = max(change.sequence for change in changes)
            # Before the commit: if the hook fails, the batch stays unpolled and its
            # invalidation is retried with it. The court already shows the change, so a
            # hub that fills its cache in between fills it with the new records.
            if on_changes is not None:
                await on_changes(changes)
            try:
                async with store.engine.begin() as conn:
                    await _write_batch(conn, store, drafts, report, audit)
                    await advance_watermark(store, conn, agency, position, new_position)
            except WatermarkMoved:
                logger.warning("poll %s stopped: watermark moved past %d by another poller", agency, position)
                report.interrupted = True
                break

            report.changes += len(changes)
            report.watermark = new_position
            if len(changes) < batch_size:
                break

        logger.info("poll %s: %s", agency, asdict(report))
        return report


def _draft(change: JudgmentChange, rules: DeadlineRules, calendar: WorkingDayCalendar) -> NoticeDraft | None:
    try:
        return draft_notice(change, rules, calendar)
    except Exception as exc:  # one bad judgment must not stop the others
        logger.exception("drafting the notice for change %d failed", change.sequence)
        return failed_draft(change, exc)


async def _write_batch(
    conn: AsyncConnection,
    store: Store,
    drafts: list[NoticeDraft | None],
    report: PollReport,
    audit: AuditLog | None = None,
) -> None:
    for draft in drafts:
        if draft is None:
            continue
        notice_id = await _insert_notice(conn, store, draft)
        previous = None
        if notice_id is not None:
            report.created += 1
        else:
            notice_id = await _repair_notice(conn, draft)
            if notice_id is None:
                continue
            report.repaired += 1
            previous = NoticeStatus.NEEDS_ATTENTION
        if audit is not None:
            entry = notice_entry(
                None, notice_id, previous, draft.status, operation="poll", case_number=draft.case_number
            )
            await audit.record(conn, entry)

        _count(report, draft.status)
        if draft.status == NoticeStatus.NEEDS_ATTENTION:
            logger.warning(
                "notice %s %s needs attention: %s",
                draft.court_name,
                draft.case_number,
                draft.attention_reason,
            )
        if draft.status == NoticeStatus.PENDING:
            await _insert_outbox(conn, store, notice_id, draft)


async def _insert_notice(conn: AsyncConnection, store: Store, draft: NoticeDraft) -> int | None:
    """Insert the notice; None when the judgment already has one (ON CONFLICT DO NOTHING)."""
    now = utcnow()
    insert = dialect_insert(store)
    statement = (
        insert(notices)
        .values(**_notice_values(draft), attempts=0, created_at=now, updated_at=now)
        .on_conflict_do_nothing(index_elements=[notices.c.court_name, notices.c.case_number])
        .returning(notices.c.id)
    )
    return await conn.scalar(statement)  # type: ignore[no-any-return]


async def _repair_notice(conn: AsyncConnection, draft: NoticeDraft) -> int | None:
    """Complete an existing needs-attention notice when a later change fixed its data.

    An appeal leaves the effective date empty until the judgment takes effect; the court
    then reports the same judgment again. Any other existing notice is left as it is.
    """
    if draft.status == NoticeStatus.NEEDS_ATTENTION:
        return None
    key = (notices.c.court_name == draft.court_name) & (notices.c.case_number == draft.case_number)
    result = await conn.execute(
        update(notices)
        .where(key, notices.c.status == NoticeStatus.NEEDS_ATTENTION)
        .values(**_notice_values(draft), updated_at=utcnow())
        .returning(notices.c.id)
    )
    notice_id: int | None = result.scalar()
    return notice_id


async def _insert_outbox(conn: AsyncConnection, store: Store, notice_id: int, draft: NoticeDraft) -> None:
    if draft.payload is None or draft.bureau_county_code is None:
        raise ValueError(f"pending notice {notice_id} has no payload or bureau")
    insert = dialect_insert(store)
    await conn.execute(
        insert(outbox)
        .values(
            notice_id=notice_id,
            idempotency_key=draft.idempotency_key,
            bureau_county_code=draft.bureau_county_code,
            payload=dict(draft.payload),
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=[outbox.c.notice_id])
    )


def _notice_values(draft: NoticeDraft) -> dict[str, object]:
    return {
        "court_name": draft.court_name,
        "case_number": draft.case_number,
        "case_number_raw": draft.case_number_raw,
        "status": draft.status,
        "attention_reason": draft.attention_reason,
        "correction_type": draft.correction_type,
        "county_code": draft.county_code,
        "bureau_county_code": draft.bureau_county_code,
        "person_name_masked": draft.person_name_masked,
        "id_number_masked": draft.id_number_masked,
        "effective_date": draft.effective_date,
        "notice_due": draft.notice_due,
        "documents_due": draft.documents_due,
        "reporting_due": draft.reporting_due,
        "court_sequence": draft.court_sequence,
        "next_attempt_at": utcnow() if draft.status == NoticeStatus.PENDING else None,
    }


def _count(report: PollReport, status: str) -> None:
    if status == NoticeStatus.PENDING:
        report.pending += 1
    elif status == NoticeStatus.NEEDS_ATTENTION:
        report.needs_attention += 1
    elif status == NoticeStatus.ROUTED_TO_POLICE:
        report.routed_to_police += 1


async def notice_rows(
    store: Store,
    *,
    statuses: Collection[str] = (),
    bureau_county_code: str | None = None,
    limit: int | None = None,
    newest_first: bool = False,
) -> list[dict[str, object]]:
    """Return the notices as mappings, oldest first unless ``newest_first``, for the CLI and tests.

    Without ``statuses`` or ``bureau_county_code`` every notice matches. A ``limit`` of None lists all.
    """
    order = notices.c.id.desc() if newest_first else notices.c.id.asc()
    query = (
        select(notices)
        .where(*notice_conditions(statuses=statuses, county_code=bureau_county_code))
        .order_by(order)
        .limit(limit)
    )
    async with store.read() as conn:
        rows = (await conn.execute(query)).mappings().all()
    return [dict(row) for row in rows]


async def newest_notices(
    store: Store, *, statuses: Collection[str] = (), bureau_county_code: str | None = None, limit: int
) -> tuple[list[dict[str, object]], int]:
    """Return the newest ``limit`` notices that match, and how many match in all.

    The total comes from a window count in the same statement, so the rows and the total
    describe one snapshot: a notice that changes status meanwhile cannot make them disagree.
    """
    matching = func.count().over().label("matching")
    query = (
        select(notices, matching)
        .where(*notice_conditions(statuses=statuses, county_code=bureau_county_code))
        .order_by(notices.c.id.desc())
        .limit(limit)
    )
    async with store.read() as conn:
        rows = (await conn.execute(query)).mappings().all()
    total = int(rows[0]["matching"]) if rows else 0
    return [{key: value for key, value in row.items() if key != "matching"} for row in rows], total
