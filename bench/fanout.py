"""Lookup latency through the hub against the floor measured in the same run.

The floor is the four agency adapters called directly and concurrently from this process,
over the same stand-ins with the same latencies. The hub answers the same lookups over
HTTP and GraphQL, each for a person it has not cached yet. Lookups alternate between the
two so drift in the machine's load falls on both alike.

    python -m bench.fanout [--lookups 250]

Last line: ``fanout: p50_ratio=A p99_ratio=B`` (target A <= 1.10, B <= 1.25).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Sequence

import httpx

from adapters.contract import RecordAdapter
from adapters.idnumber import parse_id_number
from bench.lookup_support import (
    LATENCY_NOTE,
    graphql_body,
    machine,
    raw_adapters,
    request_headers,
    server,
    stand_ins,
    summary,
)

WARM_UP = 10


async def direct_ms(adapters: Sequence[RecordAdapter], id_number: str) -> float:
    parsed = parse_id_number(id_number)
    started = time.perf_counter()
    await asyncio.gather(*(adapter.fetch_records(parsed) for adapter in adapters))
    return (time.perf_counter() - started) * 1000


async def hub_ms(client: httpx.AsyncClient, id_number: str) -> float:
    started = time.perf_counter()
    response = await client.post("/graphql", content=graphql_body(id_number))
    elapsed = (time.perf_counter() - started) * 1000
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"hub lookup failed: HTTP {response.status_code} {body.get('errors')}")
    return elapsed


async def measure(
    base_url: str, headers: dict[str, str], adapters: Sequence[RecordAdapter], ids: Sequence[str]
) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {"direct": [], "hub": []}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=10) as client:
        for n, id_number in enumerate(ids):
            direct = await direct_ms(adapters, id_number)
            through_hub = await hub_ms(client, id_number)
            if n >= WARM_UP:
                samples["direct"].append(direct)
                samples["hub"].append(through_hub)
    return samples


async def run(lookups: int) -> None:
    with stand_ins() as setup, server("hub", setup, ttl_s=600) as (base_url, _):
        adapters = raw_adapters(setup.folder, setup.court_url)
        for adapter in adapters:
            await adapter.start()
        try:
            # Spread over the data set: a mix of people with and without records.
            ids = setup.id_numbers[:: max(1, len(setup.id_numbers) // (lookups + WARM_UP))][
                : lookups + WARM_UP
            ]
            samples = await measure(base_url, request_headers(setup.folder), adapters, ids)
        finally:
            for adapter in adapters:
                await adapter.aclose()
    report(samples)


def report(samples: dict[str, list[float]]) -> None:
    direct, hub = summary(samples["direct"]), summary(samples["hub"])
    print(f"machine: {machine()}")
    print(LATENCY_NOTE)
    print(f"lookups: {len(samples['hub'])} per side after {WARM_UP} warm-up, each a cache miss at the hub")
    print(f"{'ms':<28}{'p50':>8}{'p90':>8}{'p99':>8}{'mean':>8}")
    for name, row in (("direct, 4 adapters at once", direct), ("through the hub (HTTP)", hub)):
        print(f"{name:<28}{row['p50']:>8.1f}{row['p90']:>8.1f}{row['p99']:>8.1f}{row['mean']:>8.1f}")
    print(f"fanout: p50_ratio={hub['p50'] / direct['p50']:.3f} p99_ratio={hub['p99'] / direct['p99']:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fanout")
    parser.add_argument("--lookups", type=int, default=250)
    args = parser.parse_args()
    asyncio.run(run(args.lookups))


if __name__ == "__main__":
    main()
