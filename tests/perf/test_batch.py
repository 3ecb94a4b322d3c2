"""``priorRecordsBatch``: one call per agency that can batch, each person checked and audited."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator, Sequence
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from adapters.idnumber import IdNumber, check_character
from adapters.records import Agency, AgencyRecords
from hub.app import create_app
from hub.settings import Settings
from hub.settings_perf import PerfSettings
from hub.store import create_store
from hub.store.audit_tables import audit_entries
from tests.perf.fakes import fresh_metrics
from tests.servers import ServerThread
from tests.standins import ID_NUMBER, ID_NUMBER_WITH_X, StandInAdapter, standins
from tests.test_schema import location_of
from tests.tokens import bearer

BATCH = (
    "query($ids: [String!]!) { priorRecordsBatch(idNumbers: $ids, purpose: TRIAL,"
    ' caseNumber: "（2026）川3401刑初5号") { idNumber sources { agency status } } }'
)


class BatchStandIn(StandInAdapter):
    """A stand-in with a batch operation, counting its batch calls."""

    def __init__(self, agency: Agency) -> None:
        super().__init__(agency)
        self.batches: list[list[str]] = []

    async def fetch_records_many(self, id_numbers: Sequence[IdNumber]) -> dict[str, AgencyRecords]:
        self.batches.append([n.value for n in id_numbers])
        return {n.value: await self.fetch_records(n) for n in id_numbers}


@pytest.fixture
def hub_url() -> Iterator[tuple[str, BatchStandIn, StandInAdapter]]:
    police, court = BatchStandIn(Agency.POLICE), StandInAdapter(Agency.COURT)
    app = create_app(
        Settings(rate_prior_records_per_minute=3),
        adapters=standins(police=police, court=court),
        wrap=True,
        perf_settings=PerfSettings(),
        metrics=fresh_metrics(),
    )
    server = ServerThread(app)
    server.start()
    yield server.url, police, court
    server.stop()


def batch(url: str, ids: list[str], **headers: str) -> dict[str, Any]:
    response = httpx.post(
        f"{url}/graphql",
        json={"query": BATCH, "variables": {"ids": ids}},
        headers={**bearer("judge"), **headers},
        timeout=10,
    )
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def test_batch_calls_batching_agency_once(
    hub_url: tuple[str, BatchStandIn, StandInAdapter],
) -> None:
    url, police, court = hub_url

    body = batch(url, [ID_NUMBER, ID_NUMBER_WITH_X, ID_NUMBER])

    answers = body["data"]["priorRecordsBatch"]
    assert [answer["idNumber"] for answer in answers] == [ID_NUMBER, ID_NUMBER_WITH_X]
    assert police.batches == [[ID_NUMBER, ID_NUMBER_WITH_X]]
    assert sorted(court.calls) == sorted([ID_NUMBER, ID_NUMBER_WITH_X])
    assert asyncio.run(audit_count()) == 2


def test_batch_quota_counts_each_person(
    hub_url: tuple[str, BatchStandIn, StandInAdapter],
) -> None:
    url, _, _ = hub_url
    assert "errors" not in batch(url, [ID_NUMBER, ID_NUMBER_WITH_X])

    body = batch(url, [ID_NUMBER, ID_NUMBER_WITH_X])

    assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


def test_batch_over_limit_is_rejected(hub_url: tuple[str, BatchStandIn, StandInAdapter]) -> None:
    url, police, _ = hub_url

    distinct = [f"51340119900101{n:03d}" for n in range(101)]  # synthetic, distinct people
    body = batch(
        url, [first17 + check_character(first17) for first17 in distinct], **{"Accept-Language": "en"}
    )

    assert body["errors"][0]["extensions"]["code"] == "BATCH_TOO_LARGE"
    assert "at most 100" in body["errors"][0]["message"]
    assert police.batches == []


async def audit_count() -> int:
    store = create_store(os.environ["HUB_STORE_URL"])
    try:
        async with store.engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(audit_entries))).scalar_one())
    finally:
        await store.aclose()


def test_batch_invalid_number_keeps_the_others(
    hub_url: tuple[str, BatchStandIn, StandInAdapter],
) -> None:
    url, police, _ = hub_url

    body = batch(url, [ID_NUMBER, "51340119850612031A", ID_NUMBER_WITH_X], **{"Accept-Language": "en"})

    answers = body["data"]["priorRecordsBatch"]
    assert [answer["idNumber"] for answer in answers] == [ID_NUMBER, ID_NUMBER_WITH_X]
    [error] = body["errors"]
    assert error["extensions"] == {"code": "INVALID_ID_NUMBER", "part": "format", "index": 1}
    assert error["path"] == ["priorRecordsBatch"]
    assert error["locations"] == [location_of("priorRecordsBatch(", BATCH)]
    assert "51340119850612031A" in error["message"]
    assert police.batches == [[ID_NUMBER, ID_NUMBER_WITH_X]]
    assert asyncio.run(audit_count()) == 2  # the invalid number named no one, so it is not audited


def test_batch_of_invalid_numbers_spends_no_quota(
    hub_url: tuple[str, BatchStandIn, StandInAdapter],
) -> None:
    url, police, _ = hub_url

    body = batch(url, ["abc", "513401198506120316"])
    after = batch(url, [ID_NUMBER, ID_NUMBER_WITH_X])

    assert body["data"] == {"priorRecordsBatch": []}
    assert [error["extensions"]["index"] for error in body["errors"]] == [0, 1]
    assert [error["extensions"]["part"] for error in body["errors"]] == ["format", "check_character"]
    assert "errors" not in after  # the quota of three still had room for both
    assert police.batches == [[ID_NUMBER, ID_NUMBER_WITH_X]]
