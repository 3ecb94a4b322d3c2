"""A batch lookup against the caller's quota, in the process and in Redis.

A batch counts one lookup per distinct person. A batch larger than a minute's quota can
never be served, so it is rejected as too large without spending anything. A batch that
would overrun what is left of the quota is refused whole and spends nothing either.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.errors import RateLimited
from hub.auth import Role
from hub.rate_limit import InProcessRateLimiter, Quota, RedisRateLimiter
from tests.security.gql_support import CASE, Hub, started_hub
from tests.standins import ID_NUMBER
from tests.tokens import bearer

BATCH = """query($ids: [String!]!, $case: String) {
  priorRecordsBatch(idNumbers: $ids, purpose: TRIAL, caseNumber: $case) { idNumber } }"""
SINGLE = """query($id: String!, $case: String) {
  priorRecords(idNumber: $id, purpose: TRIAL, caseNumber: $case) { idNumber } }"""
OTHERS = ["513401199001010019", "513402198505050032"]  # synthetic subjects
FIFTEEN_DIGIT = ID_NUMBER[:6] + ID_NUMBER[8:17]  # the same person's first-generation number


@pytest.fixture(params=["in_process", pytest.param("redis", marks=pytest.mark.services)])
async def hub(request: pytest.FixtureRequest) -> AsyncIterator[Hub]:
    redis_url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    async with started_hub(redis_url=redis_url, settings={"rate_prior_records_per_minute": 2}) as started:
        yield started


def judge() -> dict[str, str]:
    return bearer(Role.JUDGE, "513401", user_id=f"u-{uuid.uuid4().hex[:8]}")


async def batch(hub: Hub, headers: dict[str, str], ids: list[str], **extra: str) -> dict[str, Any]:
    return await hub.gql(BATCH, {**headers, **extra}, ids=ids, case=CASE)


async def test_batch_over_quota_is_too_large(hub: Hub) -> None:
    headers = judge()

    body = await batch(hub, headers, [ID_NUMBER, *OTHERS])
    english = await batch(hub, headers, [ID_NUMBER, *OTHERS], **{"Accept-Language": "en"})
    single = await hub.gql(SINGLE, headers, id=ID_NUMBER, case=CASE)

    assert body["errors"][0]["extensions"]["code"] == "BATCH_TOO_LARGE"
    assert "每分钟的查询配额 2 人" in body["errors"][0]["message"]
    assert "quota of 2 lookups per minute" in english["errors"][0]["message"]
    assert single["data"] == {"priorRecords": {"idNumber": ID_NUMBER}}  # nothing was spent


async def test_refused_batch_spends_nothing(hub: Hub) -> None:
    headers = judge()
    first = await hub.gql(SINGLE, headers, id=ID_NUMBER, case=CASE)

    rejected = await batch(hub, headers, OTHERS)
    second = await hub.gql(SINGLE, headers, id=ID_NUMBER, case=CASE)

    assert first["data"] == {"priorRecords": {"idNumber": ID_NUMBER}}
    assert rejected["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert second["data"] == {"priorRecords": {"idNumber": ID_NUMBER}}


async def test_same_person_in_many_forms_counts_once(hub: Hub) -> None:
    ids = [ID_NUMBER] * 100 + [FIFTEEN_DIGIT]

    body = await batch(hub, judge(), ids)

    assert body["data"] == {"priorRecordsBatch": [{"idNumber": ID_NUMBER}]}


async def test_overlong_list_is_rejected_unparsed(hub: Hub) -> None:
    body = await batch(hub, judge(), ["not a number"] * 201)

    assert body["errors"][0]["extensions"]["code"] == "BATCH_TOO_LARGE"


@pytest.mark.parametrize("kind", ["in_process", pytest.param("redis", marks=pytest.mark.services)])
async def test_limiter_counts_all_or_none(kind: str, request: pytest.FixtureRequest) -> None:
    quotas = {"lookup": [Quota("minute", 5), Quota("day", 100)]}
    if kind == "redis":
        limiter: Any = RedisRateLimiter.from_url(request.getfixturevalue("redis_url"), quotas)
    else:
        limiter = InProcessRateLimiter(quotas)
    user = f"u-{uuid.uuid4().hex[:8]}"
    try:
        await limiter.hit(user, "lookup", calls=3)
        with pytest.raises(RateLimited, match="at most 5 per minute"):
            await limiter.hit(user, "lookup", calls=3)
        await limiter.hit(user, "lookup", calls=2)  # the refused three were not counted
        with pytest.raises(RateLimited, match="at most 5 per minute"):
            await limiter.hit(user, "lookup")
    finally:
        await limiter.aclose()

    assert limiter.capacity("lookup") == 5
    assert limiter.capacity("other") is None
