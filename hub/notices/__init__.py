"""Community-correction notices from the court to the county justice bureaus.

``poll_court`` turns judgment changes into one notice per judgment. It writes the notice,
its outbox entry and the new watermark in one transaction. ``deliver`` sends the outbox to
each county's bureau with an idempotency key. ``collect_receipts`` marks notices received.
Statuses are listed in ``hub.store.NoticeStatus``.
"""

from __future__ import annotations

from hub.notices.delivery import BureauClient, DeliveryReport, RetryPolicy, deliver
from hub.notices.drafts import NoticeDraft, draft_notice, idempotency_key
from hub.notices.locks import PollLock, RedisLock, StoreLock, make_lock
from hub.notices.poll import CourtChanges, PollReport, notice_rows, poll_court
from hub.notices.receipts import ReceiptReport, ReceiptSource, collect_receipts

__all__ = [
    "BureauClient",
    "CourtChanges",
    "DeliveryReport",
    "NoticeDraft",
    "PollLock",
    "PollReport",
    "ReceiptReport",
    "ReceiptSource",
    "RedisLock",
    "RetryPolicy",
    "StoreLock",
    "collect_receipts",
    "deliver",
    "draft_notice",
    "idempotency_key",
    "make_lock",
    "notice_rows",
    "poll_court",
]
