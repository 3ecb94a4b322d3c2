"""Metrics read from the hub's store at scrape time: poll lag and notices by status.

Pollers and delivery run as separate processes (cron, ``--loop``), so their in-memory
gauges would never reach the web process's ``/metrics``. The store they write is shared,
so each scrape reads it instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from sqlalchemy import func, select

from hub.metrics import HubMetrics
from hub.store import Store
from hub.store.tables import notices, poll_watermarks


def store_refresher(store: Store, metrics: HubMetrics) -> Callable[[], Awaitable[None]]:
    """Return the ``refresh`` hook of ``hub.metrics.metrics_endpoint`` over ``store``."""

    async def refresh() -> None:
        async with store.read() as conn:
            marks = (await conn.execute(select(poll_watermarks.c.agency, poll_watermarks.c.updated_at))).all()
            counted = select(notices.c.status, func.count()).group_by(notices.c.status)
            counts = {str(status): int(count) for status, count in (await conn.execute(counted)).all()}

        now = dt.datetime.now(dt.UTC)
        for agency, updated_at in marks:
            metrics.observe_poll_lag(str(agency), max(0.0, (now - _aware(updated_at)).total_seconds()))
        metrics.set_notices_by_status(counts)

    return refresh


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
