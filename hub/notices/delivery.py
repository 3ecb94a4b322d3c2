"""``deliver``: send due outbox entries to each county's justice bureau, at least once and never twice.

Never twice rests on the idempotency key (derived from the judgment, so the same on every
retry and after any crash): the bureau keeps one record per key. At least once rests on
the outbox: an entry stays until a send is confirmed, and a deliverer that crashes mid-send
loses its lease, so another one retries. Claims never overlap: ``FOR UPDATE SKIP LOCKED``
on PostgreSQL, ``BEGIN IMMEDIATE`` (one writer at a time) on SQLite, plus a lease column on
both so an in-flight entry is not claimed again.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import RowMapping, case, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.bureau import CorrectionNotice
from adapters.errors import HubError
from hub import tracing
from hub.audit import notice_entry
from hub.calendar import WorkingDayCalendar
from hub.deadlines import DeadlineRules, receipt_due
from hub.notices.locks import new_token
from hub.security_setup import AuditLog
from hub.store import NoticeStatus, Store, delivery_attempts, notices, outbox, utcnow

logger = logging.getLogger(__name__)

CHINA_STANDARD_TIME = dt.timezone(dt.timedelta(hours=8))


class BureauClient(Protocol):
    async def deliver_notice(self, notice: CorrectionNotice, idempotency_key: str) -> str: ...


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with full jitter: wait uniform(0, min(cap, base · 2^(attempt-1)))."""

    base_s: float = 30.0
    cap_s: float = 3600.0
    failing_after: int = 5  # attempts after which the notice shows ``failing``; retries go on
    lease_s: float = 120.0  # longer than one send's timeout, so a live send keeps its claim

    def backoff_s(self, attempts: int, rng: random.Random) -> float:
        ceiling = min(self.cap_s, self.base_s * 2 ** max(attempts - 1, 0))
        return rng.uniform(0.0, ceiling)


@dataclass(slots=True)
class DeliveryReport:
    claimed: int = 0
    delivered: int = 0
    failed: int = 0
    failing: list[int] = field(default_factory=list)  # notice ids now in ``failing``


@dataclass(frozen=True, slots=True)
class _Claim:
    outbox_id: int
    notice_id: int
    idempotency_key: str
    bureau_county_code: str
    payload: CorrectionNotice
    attempts: int


async def deliver(
    store: Store,
    bureaus: Mapping[str, BureauClient],
    *,
    rules: DeadlineRules,
    calendar: WorkingDayCalendar,
    policy: RetryPolicy = RetryPolicy(),
    batch_size: int = 20,
    deliverer: str | None = None,
    rng: random.Random | None = None,
    audit: AuditLog | None = None,
) -> DeliveryReport:
    """Claim due outbox entries and send each once; failures are scheduled for a later run."""
    owner = deliverer or new_token()
    jitter = rng or random.Random()  # noqa: S311 - jitter, not a secret
    claims = await _claim(store, owner, batch_size, policy, audit)
    report = DeliveryReport(claimed=len(claims))

    for claim in claims:
        bureau = bureaus.get(claim.bureau_county_code)
        started = utcnow()
        attributes: dict[str, str | int] = {
            "hub.notice_id": claim.notice_id,
            "hub.county": claim.bureau_county_code,
            "hub.attempt": claim.attempts + 1,
        }
        try:
            with tracing.span("justice_bureau deliver_notice", attributes, kind="client"):
                if bureau is None:
                    raise LookupError(
                        f"no justice-bureau endpoint configured for county {claim.bureau_county_code}"
                    )
                acceptance_id = await bureau.deliver_notice(claim.payload, claim.idempotency_key)
        except Exception as exc:  # every failure is recorded and retried, never dropped
            failing = await _record_failure(store, claim, owner, started, exc, policy, jitter, audit)
            report.failed += 1
            if failing:
                report.failing.append(claim.notice_id)
            continue

        await _record_success(store, claim, owner, started, acceptance_id, rules, calendar, audit)
        report.delivered += 1

    if claims:
        logger.info(
            "deliver: claimed=%d delivered=%d failed=%d", report.claimed, report.delivered, report.failed
        )
    return report


async def _claim(
    store: Store, owner: str, limit: int, policy: RetryPolicy, audit: AuditLog | None = None
) -> list[_Claim]:
    now = utcnow()
    due = (
        select(outbox.c.id)
        .join(notices, notices.c.id == outbox.c.notice_id)
        .where(
            outbox.c.sent_at.is_(None),
            notices.c.status.not_in([NoticeStatus.RECEIVED, NoticeStatus.DELIVERED]),
            or_(notices.c.next_attempt_at.is_(None), notices.c.next_attempt_at <= now),
            or_(outbox.c.lease_until.is_(None), outbox.c.lease_until < now),
        )
        .order_by(outbox.c.id)
        .limit(limit)
    )
    if store.is_postgresql:
        due = due.with_for_update(skip_locked=True, of=outbox)

    async with store.engine.begin() as conn:
        ids = list((await conn.execute(due)).scalars())
        if not ids:
            return []
        lease_until = now + dt.timedelta(seconds=policy.lease_s)
        await conn.execute(
            update(outbox).where(outbox.c.id.in_(ids)).values(lease_owner=owner, lease_until=lease_until)
        )
        claimed = (
            select(outbox, notices.c.attempts, notices.c.id.label("nid"), notices.c.status.label("was"))
            .join(notices, notices.c.id == outbox.c.notice_id)
            .where(outbox.c.id.in_(ids))
            .order_by(outbox.c.id)
        )
        rows = (await conn.execute(claimed)).mappings().all()
        claims = [_to_claim(row) for row in rows]
        await conn.execute(
            update(notices)
            .where(notices.c.id.in_([c.notice_id for c in claims]), notices.c.status == NoticeStatus.PENDING)
            .values(status=NoticeStatus.DELIVERING, updated_at=now)
        )
        for row in rows:
            if row["was"] == NoticeStatus.PENDING:
                await _audit(conn, audit, row["notice_id"], row["was"], NoticeStatus.DELIVERING)
    return claims


def _to_claim(row: RowMapping) -> _Claim:
    return _Claim(
        outbox_id=row["id"],
        notice_id=row["notice_id"],
        idempotency_key=row["idempotency_key"],
        bureau_county_code=row["bureau_county_code"],
        payload=row["payload"],
        attempts=row["attempts"],
    )


async def _record_success(
    store: Store,
    claim: _Claim,
    owner: str,
    started: dt.datetime,
    acceptance_id: str,
    rules: DeadlineRules,
    calendar: WorkingDayCalendar,
    audit: AuditLog | None = None,
) -> None:
    now = utcnow()
    arrived_on = now.astimezone(CHINA_STANDARD_TIME).date()
    async with store.engine.begin() as conn:
        was = await _status(conn, claim.notice_id)
        await conn.execute(
            update(outbox)
            .where(outbox.c.id == claim.outbox_id, outbox.c.sent_at.is_(None))
            .values(sent_at=now, lease_owner=None, lease_until=None)
        )
        await conn.execute(
            update(notices)
            .where(notices.c.id == claim.notice_id)
            .values(
                status=_unless_received(NoticeStatus.DELIVERED),
                attempts=notices.c.attempts + 1,
                acceptance_id=acceptance_id,
                delivered_at=now,
                receipt_due=receipt_due(arrived_on, rules, calendar),
                next_attempt_at=None,
                last_error=None,
                updated_at=now,
            )
        )
        await _log_attempt(conn, claim, owner, started, now, "accepted", acceptance_id=acceptance_id)
        if was != NoticeStatus.RECEIVED:
            await _audit(conn, audit, claim.notice_id, was, NoticeStatus.DELIVERED)
    logger.info(
        "notice %d delivered to bureau %s as %s", claim.notice_id, claim.bureau_county_code, acceptance_id
    )


async def _record_failure(
    store: Store,
    claim: _Claim,
    owner: str,
    started: dt.datetime,
    exc: Exception,
    policy: RetryPolicy,
    rng: random.Random,
    audit: AuditLog | None = None,
) -> bool:
    """Schedule the retry and return whether the notice is now ``failing``."""
    now = utcnow()
    attempts = claim.attempts + 1
    failing = attempts >= policy.failing_after
    code = exc.code if isinstance(exc, HubError) else type(exc).__name__
    message = str(exc) or type(exc).__name__
    status = NoticeStatus.FAILING if failing else NoticeStatus.PENDING

    async with store.engine.begin() as conn:
        was = await _status(conn, claim.notice_id)
        await conn.execute(
            update(outbox)
            .where(outbox.c.id == claim.outbox_id, outbox.c.lease_owner == owner)
            .values(lease_owner=None, lease_until=None)
        )
        await conn.execute(
            update(notices)
            .where(notices.c.id == claim.notice_id)
            .values(
                status=_unless_received(status, keep_delivered=True),
                attempts=notices.c.attempts + 1,
                next_attempt_at=now + dt.timedelta(seconds=policy.backoff_s(attempts, rng)),
                last_error=f"{code}: {message}"[:2000],
                updated_at=now,
            )
        )
        await _log_attempt(conn, claim, owner, started, now, "failed", error_code=code, error=message)
        if was not in (NoticeStatus.RECEIVED, NoticeStatus.DELIVERED, status):
            await _audit(conn, audit, claim.notice_id, was, status)
    logger.warning(
        "notice %d to bureau %s failed (attempt %d): %s",
        claim.notice_id,
        claim.bureau_county_code,
        attempts,
        code,
    )
    return failing


async def _status(conn: AsyncConnection, notice_id: int) -> str | None:
    status: str | None = await conn.scalar(select(notices.c.status).where(notices.c.id == notice_id))
    return status


async def _audit(
    conn: AsyncConnection, audit: AuditLog | None, notice_id: int, was: str | None, now_status: str
) -> None:
    if audit is not None:
        await audit.record(conn, notice_entry(None, notice_id, was, now_status, operation="deliver"))


def _unless_received(status: str, *, keep_delivered: bool = False) -> Any:
    """Build a status expression that keeps a received notice (and, on failure, a delivered one) as it is."""
    kept = [NoticeStatus.RECEIVED, NoticeStatus.DELIVERED] if keep_delivered else [NoticeStatus.RECEIVED]
    return case((notices.c.status.in_(kept), notices.c.status), else_=status)


async def _log_attempt(
    conn: AsyncConnection,
    claim: _Claim,
    owner: str,
    started: dt.datetime,
    finished: dt.datetime,
    outcome: str,
    **values: str | None,
) -> None:
    await conn.execute(
        insert(delivery_attempts).values(
            notice_id=claim.notice_id,
            attempt=claim.attempts + 1,
            deliverer=owner,
            started_at=started,
            finished_at=finished,
            outcome=outcome,
            **values,
        )
    )
