"""The cache when Redis fails: lookups still answer, and cancelled commands never mix up replies."""

from __future__ import annotations

import asyncio
import logging
import random
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator

import pytest
import redis.asyncio as redis

from adapters.records import Agency
from hub.cache import CacheUnavailable, CachingAdapter, RecordCache, RedisCache
from tests.legacy_db import closed_port
from tests.perf.fakes import PERSON, fresh_metrics, sample
from tests.standins import RECORDS, StandInAdapter


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def own_redis() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A redis-server of this test's own on a free loopback port, keeping nothing on disk."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 5
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("redis-server did not start") from None
            time.sleep(0.02)
    yield f"redis://127.0.0.1:{port}/0", process
    process.kill()
    process.wait(timeout=5)


async def test_lookups_answer_when_redis_is_unreachable(caplog: pytest.LogCaptureFixture) -> None:
    backend = RedisCache.from_url(f"redis://127.0.0.1:{closed_port()}/0", retry_after_s=0)
    inner = StandInAdapter(Agency.COURT)
    cache = RecordCache(backend, metrics=fresh_metrics())
    adapter = CachingAdapter(inner, cache, 60)

    with caplog.at_level(logging.WARNING, logger="hub.cache"):
        answers = [await adapter.fetch_records(PERSON) for _ in range(20)]

    assert all(answer == RECORDS[Agency.COURT]() for answer in answers)
    assert len(inner.calls) == 20
    assert len([r for r in caplog.records if r.name == "hub.cache"]) == 1
    assert sample(cache.metrics, "hub_cache_lookups_total", agency="court", result="unavailable") == 20
    await backend.aclose()


async def test_lookups_answer_after_redis_is_killed(own_redis: tuple[str, subprocess.Popen[bytes]]) -> None:
    url, process = own_redis
    backend = RedisCache.from_url(url, command_timeout_s=0.2)
    inner = StandInAdapter(Agency.COURT)
    adapter = CachingAdapter(inner, RecordCache(backend, metrics=fresh_metrics()), 60)
    await adapter.fetch_records(PERSON)
    await adapter.fetch_records(PERSON)
    assert len(inner.calls) == 1

    process.kill()
    process.wait(timeout=5)
    answers = [await adapter.fetch_records(PERSON) for _ in range(10)]

    assert all(answer == RECORDS[Agency.COURT]() for answer in answers)
    assert len(inner.calls) == 11
    await backend.aclose()


async def test_dead_redis_is_skipped_for_a_while(own_redis: tuple[str, subprocess.Popen[bytes]]) -> None:
    url, process = own_redis
    backend = RedisCache.from_url(url, command_timeout_s=0.2, retry_after_s=60)
    await backend.set("hub:test:k", b"v", 5)
    process.kill()
    process.wait(timeout=5)

    with pytest.raises(CacheUnavailable):
        await backend.get("hub:test:k")
    started = time.perf_counter()
    with pytest.raises(CacheUnavailable, match="skipped"):
        await backend.get("hub:test:k")

    assert time.perf_counter() - started < 0.01
    await backend.aclose()


async def test_cancelled_commands_leave_every_key_with_its_own_value(redis_url: str) -> None:
    """A command cancelled between send and read leaves no pooled connection a reply behind.

    redis-py issues 2624 and 2665 were this bug: the next caller read someone else's value.
    """
    prefix = f"hub:test:integrity:{uuid.uuid4().hex[:8]}"
    keys = {f"{prefix}:{n}": f"value-{n}".encode() for n in range(200)}
    client = redis.Redis.from_url(redis_url, max_connections=20)
    admin = redis.Redis.from_url(redis_url)
    try:
        outcomes, mismatched = await _hurry_and_read_back(client, admin, keys)
    finally:
        # Closed even when a check fails: a pooled connection left open warns when it is
        # collected, and the warning, an error here, would fail whichever test runs then.
        await client.delete(*keys)
        await client.aclose()
        await admin.aclose()

    assert outcomes["cancelled"] > 50, outcomes
    assert outcomes["ok"] > 50, outcomes
    assert mismatched == []


async def _hurry_and_read_back(
    client: redis.Redis, admin: redis.Redis, keys: dict[str, bytes]
) -> tuple[dict[str, int], list[str]]:
    """Run commands with random tiny timeouts over ``keys``, then read every key back patiently.

    Every other round starts with ``CLIENT PAUSE`` for 2 ms, sent on ``admin``'s own
    connection. Redis then delays the commands it has read, so their timeouts fire after a
    command was sent and before its reply, the case in which a pooled connection kept a
    stray reply. On a fast machine Redis otherwise replies to most commands before the
    event loop checks their timers.
    """
    patient = RedisCache(client, command_timeout_s=2.0, retry_after_s=0)
    for key, value in keys.items():
        await patient.set(key, value, 60)

    rng = random.Random(2624)
    outcomes = {"ok": 0, "cancelled": 0}

    async def hurried(key: str) -> None:
        cache = RedisCache(client, command_timeout_s=rng.uniform(0.00005, 0.002), retry_after_s=0)
        try:
            if rng.random() < 0.5:
                await cache.get(key)
            else:
                await cache.set(key, keys[key], 60)
            outcomes["ok"] += 1
        except CacheUnavailable:
            outcomes["cancelled"] += 1

    # Rounds go on until both outcomes are common: how many commands beat their timeout
    # depends on the machine's speed and load.
    names = list(keys)
    for done in range(1, 501):
        if done % 2:
            await admin.execute_command("CLIENT", "PAUSE", 2)
        await asyncio.gather(*(hurried(rng.choice(names)) for _ in range(20)))
        if done >= 100 and min(outcomes.values()) > 50:
            break

    read_back: list[bytes | None] = []
    for start in range(0, len(names), 20):
        read_back += await asyncio.gather(*(patient.get(key) for key in names[start : start + 20]))
    mismatched = [key for key, value in zip(names, read_back, strict=True) if value != keys[key]]
    return outcomes, mismatched
