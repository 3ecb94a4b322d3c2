"""The campaign's own access to the hub: settling after each run, and reading the hub's tables.

Settling runs ``poll_court`` and ``deliver`` in the campaign's process, with the same
settings as the killed ``hub poll court`` and ``hub deliver`` processes, so that a run does
not pay another interpreter start-up for each pass.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter

from sqlalchemy import Select, func, select

from adapters.bureau import BureauAdapter
from adapters.court import CourtAdapter
from hub.calendar import HolidayCalendar
from hub.notices import deliver, make_lock, poll_court
from hub.notices.config import NoticeSettings
from hub.store import Store, create_store, delivery_attempts, notices, outbox

PAUSE_S = 0.05  # between passes that found nothing due (a lease or a backoff still running)
SETTLE_BATCH_SIZE = 100


class Settler:
    """Poll and deliver in-process until the run's judgments are through, and count the hub's rows."""

    def __init__(self, settings: NoticeSettings) -> None:
        endpoints = settings.bureau_url_by_county()
        adapters = {
            url: BureauAdapter(url, timeout_s=settings.bureau_timeout_s) for url in set(endpoints.values())
        }

        self.settings = settings
        self.store: Store = create_store(settings.store_url)
        self.court = CourtAdapter(
            settings.court_url or "", wsdl_url=settings.court_wsdl_url, timeout_s=settings.court_timeout_s
        )
        self.bureaus = {county: adapters[url] for county, url in endpoints.items()}
        self.lock = make_lock(self.store, settings.redis_url, ttl_s=settings.lock_ttl_s)
        self.calendar = (
            HolidayCalendar.from_file(settings.holiday_file) if settings.holiday_file else HolidayCalendar()
        )

    async def start(self) -> None:
        await self.court.start()

    async def aclose(self) -> None:
        await self.court.aclose()
        for adapter in set(self.bureaus.values()):
            await adapter.aclose()
        await self.store.aclose()

    async def settle(self, last_sequence: int, timeout_s: float, deliverer: str) -> bool:
        """Poll past ``last_sequence``, then deliver until every outbox entry is sent (False on timeout)."""
        deadline = time.monotonic() + timeout_s
        return await self._poll_through(last_sequence, deadline) and await self._deliver_all(
            deadline, deliverer
        )

    async def _poll_through(self, last_sequence: int, deadline: float) -> bool:
        while time.monotonic() < deadline:
            # A killed poller's lock stays until its time-to-live ends, and until then the poll skips.
            report = await poll_court(
                self.store,
                self.court,
                lock=self.lock,
                rules=self.settings.deadline_rules(),
                calendar=self.calendar,
                batch_size=self.settings.poll_batch_size,
            )
            if report.ran and report.watermark >= last_sequence:
                return True
            await asyncio.sleep(PAUSE_S)
        return False

    async def _deliver_all(self, deadline: float, deliverer: str) -> bool:
        while time.monotonic() < deadline:
            report = await deliver(
                self.store,
                self.bureaus,
                rules=self.settings.deadline_rules(),
                calendar=self.calendar,
                policy=self.settings.retry_policy(),
                batch_size=SETTLE_BATCH_SIZE,
                deliverer=deliverer,
            )
            if await self.unsent() == 0:
                return True
            if not report.claimed:
                await asyncio.sleep(PAUSE_S)
        return False

    async def unsent(self) -> int:
        return await self._scalar(select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None)))

    async def notice_count(self) -> int:
        return await self._scalar(select(func.count()).select_from(notices))

    async def attempt_outcomes(self) -> Counter[str]:
        query = select(delivery_attempts.c.outcome, func.count()).group_by(delivery_attempts.c.outcome)
        async with self.store.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return Counter({str(outcome): int(count) for outcome, count in rows})

    async def notice_keys(self) -> list[tuple[str, str, str]]:
        """Return (court name, case number, status) of every notice in the hub's store."""
        query = select(notices.c.court_name, notices.c.case_number, notices.c.status)
        async with self.store.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [(str(court), str(case), str(status)) for court, case, status in rows]

    async def _scalar(self, query: Select[int]) -> int:
        async with self.store.engine.connect() as conn:
            return int(await conn.scalar(query) or 0)
