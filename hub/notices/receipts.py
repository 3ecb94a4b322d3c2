"""``collect_receipts``: read officers' receipts from each bureau service and mark notices received.

A receipt also closes the notice's outbox entry: when the bureau stored a notice but its
response never reached the hub (a fault after the store), the receipt proves delivery and
retries stop.

A receipt may carry the day the person reported in (``reported_on``, CC Law art. 21). The
bureau re-issues the receipt under a new sequence when it learns or corrects that day, so the
collector stores the day whenever it differs from the notice's, with its own audit entry.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.bureau import BureauReceipt
from hub import tracing
from hub.audit import notice_entry
from hub.notices.locks import PollLock
from hub.notices.watermarks import WatermarkMoved, advance_watermark, read_watermark
from hub.security_setup import AuditLog
from hub.store import NoticeStatus, Store, notices, outbox, utcnow
from hub.store.tables import UTCDateTime

logger = logging.getLogger(__name__)


class ReceiptSource(Protocol):
    async def receipts_after(self, sequence: int, limit: int = 100) -> list[BureauReceipt]: ...


@dataclass(slots=True)
class ReceiptReport:
    ran: bool
    receipts: int = 0
    marked_received: int = 0
    reporting_recorded: int = 0  # notices whose reporting-in day was set or changed
    unknown: list[str] = field(default_factory=list)  # acceptance ids the hub never sent


async def collect_receipts(
    store: Store,
    sources: Mapping[str, ReceiptSource],
    *,
    lock: PollLock,
    batch_size: int = 100,
    max_batches: int = 50,
    audit: AuditLog | None = None,
) -> ReceiptReport:
    """Poll each bureau service (named by ``sources``' keys, e.g. its URL) past its watermark."""
    async with lock.hold("poll:justice_bureau_receipts") as acquired:
        if not acquired:
            return ReceiptReport(ran=False)
        report = ReceiptReport(ran=True)
        for name, source in sources.items():
            await _collect_one(
                store, f"justice_bureau {name}", source, report, batch_size, max_batches, audit
            )
        logger.info(
            "receipts: %d read, %d notices received, %d reporting-in days recorded",
            report.receipts,
            report.marked_received,
            report.reporting_recorded,
        )
        return report


async def _collect_one(
    store: Store,
    agency: str,
    source: ReceiptSource,
    report: ReceiptReport,
    batch_size: int,
    max_batches: int,
    audit: AuditLog | None = None,
) -> None:
    for _ in range(max_batches):
        position = await read_watermark(store, agency)
        with tracing.span("justice_bureau receipts_after", {"hub.agency": "justice_bureau"}, kind="client"):
            listed = await source.receipts_after(position, batch_size)
        receipts = [r for r in listed if r.sequence > position]
        if not receipts:
            return
        try:
            async with store.engine.begin() as conn:
                for receipt in receipts:
                    await _apply(conn, receipt, report, audit)
                await advance_watermark(store, conn, agency, position, max(r.sequence for r in receipts))
        except WatermarkMoved:
            logger.warning("receipts from %s: watermark moved by another collector", agency)
            return
        report.receipts += len(receipts)
        if len(receipts) < batch_size:
            return


async def _apply(
    conn: AsyncConnection, receipt: BureauReceipt, report: ReceiptReport, audit: AuditLog | None = None
) -> None:
    now = utcnow()
    notice_id = await conn.scalar(
        select(outbox.c.notice_id).where(outbox.c.idempotency_key == receipt.idempotency_key)
    )
    if notice_id is None:
        logger.warning(
            "receipt %d names acceptance %s the hub never sent", receipt.sequence, receipt.acceptance_id
        )
        report.unknown.append(receipt.acceptance_id)
        return

    was = await conn.scalar(select(notices.c.status).where(notices.c.id == notice_id))
    await conn.execute(
        update(outbox)
        .where(outbox.c.notice_id == notice_id, outbox.c.sent_at.is_(None))
        .values(sent_at=now, lease_owner=None, lease_until=None)
    )
    result = await conn.execute(
        update(notices)
        .where(notices.c.id == notice_id, notices.c.status != NoticeStatus.RECEIVED)
        .values(
            status=NoticeStatus.RECEIVED,
            receipt_at=receipt.received_at,
            acceptance_id=func.coalesce(notices.c.acceptance_id, receipt.acceptance_id),
            delivered_at=func.coalesce(notices.c.delivered_at, literal(receipt.received_at, UTCDateTime())),
            next_attempt_at=None,
            updated_at=now,
        )
    )
    report.marked_received += result.rowcount
    if result.rowcount and audit is not None:
        entry = notice_entry(None, notice_id, was, NoticeStatus.RECEIVED, operation="receipts")
        await audit.record(conn, entry)
    if receipt.reported_on is not None:
        report.reporting_recorded += await _record_reporting(conn, notice_id, receipt.reported_on, audit)


async def _record_reporting(
    conn: AsyncConnection, notice_id: int, reported_on: dt.date, audit: AuditLog | None
) -> int:
    """Store the bureau's reporting-in day when it differs; 1 when the notice changed."""
    result = await conn.execute(
        update(notices)
        .where(
            notices.c.id == notice_id,
            or_(notices.c.reported_on.is_(None), notices.c.reported_on != reported_on),
        )
        .values(reported_on=reported_on, updated_at=utcnow())
    )
    if result.rowcount and audit is not None:
        # A receipt leaves the notice received (``_apply`` above), so the status stays received;
        # the entry records that the reporting-in day came from the bureau.
        received = NoticeStatus.RECEIVED
        entry = notice_entry(None, notice_id, received, received, operation="receiptReporting")
        await audit.record(conn, entry)
    return result.rowcount
