"""``make_due_now``: an operator's request to retry a notice's delivery without waiting out its backoff.

The request sends nothing and never adds an outbox entry. It only moves the notice's
``next_attempt_at`` to now, so the next ``hub deliver`` run claims the existing outbox entry
as it claims any due one: under a lease, with the notice's idempotency key. That keeps the
deliverer's guarantee that the bureau receives one copy.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import RowMapping, select, update

from adapters.errors import HubError, InvalidNoticeArgument, NoticeNotFound
from hub.audit import notice_entry
from hub.auth import Principal
from hub.notices.delivery import CHINA_STANDARD_TIME
from hub.security_setup import AuditLog
from hub.store import NoticeStatus, Store, notices, outbox, utcnow

logger = logging.getLogger(__name__)

OPERATION = "redeliverNotice"
REDELIVERABLE = (NoticeStatus.FAILING, NoticeStatus.PENDING)

# Status names as the web console shows them, for messages.
STATUS_NAMES_ZH = {
    NoticeStatus.PENDING: "待发送",
    NoticeStatus.NEEDS_ATTENTION: "待人工处理",
    NoticeStatus.DELIVERING: "发送中",
    NoticeStatus.DELIVERED: "已送达",
    NoticeStatus.FAILING: "发送失败，重试中",
    NoticeStatus.RECEIVED: "已签收",
    NoticeStatus.ROUTED_TO_POLICE: "已转公安机关",
}


async def make_due_now(store: Store, notice_id: int, actor: Principal, audit: AuditLog | None) -> bool:
    """Make a FAILING or PENDING notice due now; return False when it was already due.

    The change and its audit entry (operation ``redeliverNotice``, from and to the notice's
    unchanged status) commit together. A notice already due is left as it is, unaudited.

    ``attempts`` is not reset. It counts the sends made so far, numbers the rows of
    ``delivery_attempts`` and sets the backoff, so a notice that fails once more stays
    FAILING (it has reached ``failing_after`` already) instead of dropping back to PENDING.

    Raises ``NoticeNotFound`` for an unknown id, and ``InvalidNoticeArgument`` for another
    status or while a deliverer holds the outbox entry's lease. The lease is never taken or
    cleared here, so an attempt in flight ends as the deliverer records it.
    """
    entry_query = select(outbox.c.sent_at, outbox.c.lease_until).where(outbox.c.notice_id == notice_id)
    notice_query = select(notices.c.status, notices.c.next_attempt_at).where(notices.c.id == notice_id)
    if store.is_postgresql:
        # Locked in the deliverer's order, the outbox row before the notice. SQLite needs no
        # row locks: the store begins every writing transaction with BEGIN IMMEDIATE.
        entry_query = entry_query.with_for_update()
        notice_query = notice_query.with_for_update()

    now = utcnow()
    async with store.engine.begin() as conn:
        entry = (await conn.execute(entry_query)).mappings().first()
        found = (await conn.execute(notice_query)).mappings().first()
        if found is None:
            raise NoticeNotFound(notice_id=str(notice_id))
        status = found["status"]
        _check_redeliverable(notice_id, status, entry, now)
        due_at = found["next_attempt_at"]
        if due_at is not None and due_at <= now:
            return False

        await conn.execute(
            update(notices)
            .where(notices.c.id == notice_id, notices.c.status.in_(REDELIVERABLE))
            .values(next_attempt_at=now, updated_at=now)
        )
        if audit is not None:
            await audit.record(conn, notice_entry(actor, notice_id, status, status, operation=OPERATION))
    logger.info("notice %d made due for redelivery by %s (status %s)", notice_id, actor.user_id, status)
    return True


def _check_redeliverable(notice_id: int, status: str, entry: RowMapping | None, now: dt.datetime) -> None:
    if status not in REDELIVERABLE:
        raise InvalidNoticeArgument(
            "notices.not_redeliverable",
            argument="noticeId",
            notice_id=notice_id,
            status=status.upper(),
            status_zh=STATUS_NAMES_ZH.get(status, status),
        )
    if entry is None or entry["sent_at"] is not None:
        logger.error("notice %d is %s but has no unsent outbox entry", notice_id, status)
        raise HubError("notices.redeliver_no_outbox", notice_id=notice_id)

    lease_until: dt.datetime | None = entry["lease_until"]
    # The deliverer's claim treats a lease as free once lease_until < now; so does this check.
    if lease_until is not None and lease_until >= now:
        raise InvalidNoticeArgument(
            "notices.redeliver_in_progress",
            argument="noticeId",
            notice_id=notice_id,
            lease_until=lease_until.astimezone(CHINA_STANDARD_TIME).isoformat(timespec="seconds"),
        )
