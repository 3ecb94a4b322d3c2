"""Fixtures for the notice flow: a migrated hub store on SQLite and on real PostgreSQL, a real
bureau stand-in on loopback, and a court that hands out prepared judgment changes."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from adapters.records import (
    Agency,
    CaseNumber,
    CorrectionType,
    Judgment,
    JudgmentChange,
    PenaltyType,
    PersonIdentity,
    Sentence,
    SourceRef,
    Verdict,
)
from hub.calendar import HolidayCalendar
from hub.deadlines import DeadlineRules
from hub.store import Store, create_store, migrate
from simulators.bureau.app import create_app as create_bureau_app
from simulators.bureau.faults import FaultConfig
from tests.servers import serve_in_thread

RULES = DeadlineRules()
CALENDAR = HolidayCalendar()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL with nothing in it, once for SQLite and once for PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'var' / 'hub.sqlite'}"
    url: str = request.getfixturevalue("postgres_url")
    _empty_postgres(url)
    return url


def _empty_postgres(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={name}", autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[Store]:
    await migrate(store_url)
    hub_store = create_store(store_url)
    yield hub_store
    await hub_store.aclose()


@dataclass
class Bureau:
    """A running bureau stand-in: its SOAP URL and its admin endpoints."""

    url: str
    base: str

    def configure(self, **changes: object) -> None:
        response = httpx.post(f"{self.base}/admin/config", json=changes)
        response.raise_for_status()

    def notices(self) -> list[dict[str, object]]:
        response = httpx.get(f"{self.base}/admin/notices")
        response.raise_for_status()
        records: list[dict[str, object]] = response.json()
        return records

    def record_receipt(self, acceptance_id: str, reported_on: dt.date | None = None) -> None:
        body = {
            "acceptance_id": acceptance_id,
            "reported_on": reported_on.isoformat() if reported_on else None,
        }
        response = httpx.post(f"{self.base}/admin/receipts", json=body)
        response.raise_for_status()

    def record_reporting(self, reported_on: dt.date, **key: str) -> dict[str, object]:
        """Record a reporting-in day; ``key`` is acceptance_id, idempotency_key or case_number."""
        response = httpx.post(
            f"{self.base}/admin/reporting", json={**key, "reported_on": reported_on.isoformat()}
        )
        response.raise_for_status()
        answer: dict[str, object] = response.json()
        return answer


@pytest.fixture
def bureau(tmp_path: Path) -> Iterator[Bureau]:
    app = create_bureau_app(str(tmp_path / "bureau.sqlite"), FaultConfig(timeout_s=1.5))
    with serve_in_thread(app) as base:
        yield Bureau(url=f"{base}/soap", base=base)


class FakeCourt:
    """Judgment changes handed out past a sequence number, like the court's change feed."""

    def __init__(self, changes: list[JudgmentChange] | None = None, *, delay_s: float = 0.0) -> None:
        self.changes = list(changes or [])
        self.delay_s = delay_s
        self.calls = 0

    def add(self, change: JudgmentChange) -> None:
        self.changes.append(change)

    async def judgment_changes(self, after_sequence: int, limit: int = 100) -> list[JudgmentChange]:
        self.calls += 1
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        later = sorted((c for c in self.changes if c.sequence > after_sequence), key=lambda c: c.sequence)
        return later[:limit]


def judgment_change(
    sequence: int,
    serial: int,
    *,
    correction: CorrectionType | None = CorrectionType.SUSPENDED_SENTENCE,
    penalty: PenaltyType = PenaltyType.FIXED_TERM_IMPRISONMENT,
    effective_date: dt.date | None = dt.date(2026, 11, 2),
    county: str | None = "513401",
    parsed: bool = True,
    name: str = "阿苏拉则",
    id_number: str = "513401199001011234",
) -> JudgmentChange:
    """A synthetic judgment of the Xichang court; ``serial`` makes its case number."""
    raw = f"（2026）川3401刑初{serial}号"
    case_number = (
        CaseNumber(raw=raw, year=2026, court="川3401", case_type="刑初", serial=serial)
        if parsed
        else CaseNumber(raw=f"川西刑字{serial}?")
    )
    person = PersonIdentity(
        source=SourceRef(Agency.COURT, f"P{serial}"),
        name=name,
        id_number=id_number,
        id_number_as_recorded=id_number,
        sex_code="1",
        county_code=county,
    )
    judgment = Judgment(
        source=SourceRef(Agency.COURT, f"J{serial}"),
        case_number=case_number,
        court_name="西昌市人民法院",
        verdict=Verdict.GUILTY,
        sentence=Sentence(penalty=penalty, term_months=12, probation_months=24 if correction else None),
        effective_date=effective_date,
        correction_type=correction,
        residence_county_code=county,
    )
    return JudgmentChange(sequence=sequence, judgment=judgment, person=person)
