"""Soak: many lookups through the hub, watching its memory and counting every error.

The hub runs as a child process over the stand-ins (latencies as in the other benches)
with a short cache TTL, so lookups mix hits, misses and refills across the data set's
people. An error is any answer that is not HTTP 200, carries GraphQL errors, or reports
an agency other than ``OK``. Memory is the resident set (VmRSS) of the hub process and of
its child processes (its audit writer) together, taken after the first tenth of the
lookups (warm-up) and at the end.

    python -m bench.soak [--lookups 100000] [--concurrency 16] [--ttl-s 5] [--max-minutes 40]

Last line: ``soak: rss_growth_pct=G errors=E`` (target G < 5, E = 0).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

from bench.lookup_support import (
    LATENCY_NOTE,
    child_pids,
    graphql_body,
    machine,
    request_headers,
    rss_kib,
    server,
    stand_ins,
)


@dataclass(slots=True)
class Tally:
    started: int = 0
    done: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    rows: list[tuple[int, float, int]] = field(default_factory=list)  # lookups, seconds, RSS KiB


def classify(response: httpx.Response) -> str | None:
    """Return what went wrong with one lookup, or None when every agency answered."""
    if response.status_code != 200:
        return f"http_{response.status_code}"
    body = response.json()
    if body.get("errors"):
        return str(body["errors"][0].get("extensions", {}).get("code", "graphql"))
    statuses = {source["status"] for source in body["data"]["priorRecords"]["sources"]}
    return None if statuses == {"OK"} else "source_" + "_".join(sorted(statuses - {"OK"}))


async def lookup(client: httpx.AsyncClient, id_number: str) -> str | None:
    try:
        return classify(await client.post("/graphql", content=graphql_body(id_number)))
    except httpx.HTTPError as exc:
        return type(exc).__name__


def record(tally: Tally, started: float, pid: int) -> None:
    row = (tally.done, time.monotonic() - started, rss_kib(pid, with_children=True))
    tally.rows.append(row)
    print(f"  {row[0]:>8} lookups {row[1]:>8.1f} s  RSS {row[2] / 1024:.1f} MiB", flush=True)


async def soak(
    base_url: str, headers: dict[str, str], ids: tuple[str, ...], args: argparse.Namespace, pid: int
) -> Tally:
    tally = Tally()
    deadline = time.monotonic() + args.max_minutes * 60
    step = max(1, args.lookups // 10)
    started = time.monotonic()
    limits = httpx.Limits(max_connections=args.concurrency)
    async with httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits, timeout=15) as client:

        async def worker() -> None:
            while tally.started < args.lookups and time.monotonic() < deadline:
                n = tally.started
                tally.started += 1
                problem = await lookup(client, ids[(n * 7) % len(ids)])
                if problem is not None:
                    tally.errors[problem] += 1
                tally.done += 1
                if tally.done % step == 0:
                    record(tally, started, pid)

        await asyncio.gather(*(worker() for _ in range(args.concurrency)))
    if not tally.rows or tally.rows[-1][0] != tally.done:
        record(tally, started, pid)
    return tally


async def run(args: argparse.Namespace) -> None:
    with stand_ins() as setup, server("hub", setup, ttl_s=args.ttl_s) as (base_url, pid):
        children = ", ".join(map(str, child_pids(pid))) or "none"
        start_mib = rss_kib(pid, with_children=True) / 1024
        print(f"hub pid {pid} (child processes: {children}), RSS at start {start_mib:.1f} MiB")
        tally = await soak(base_url, request_headers(setup.folder), setup.id_numbers, args, pid)
    report(tally, args)


def report(tally: Tally, args: argparse.Namespace) -> None:
    baseline, final = tally.rows[0], tally.rows[-1]
    growth = (final[2] - baseline[2]) / baseline[2] * 100
    errors = sum(tally.errors.values())
    print(f"machine: {machine()}")
    print(LATENCY_NOTE)
    print(
        f"lookups: {tally.done} of {args.lookups}, concurrency {args.concurrency}, cache TTL {args.ttl_s} s"
    )
    print(f"{'after':>10}{'seconds':>10}{'lookups/s':>12}{'RSS MiB':>10}")
    for done, seconds, rss in tally.rows:
        print(f"{done:>10}{seconds:>10.1f}{done / seconds:>12.0f}{rss / 1024:>10.1f}")
    print(f"RSS baseline after {baseline[0]} lookups: {baseline[2] / 1024:.1f} MiB")
    print(f"errors by kind: {dict(tally.errors)}")
    if tally.done < args.lookups:
        print(f"stopped at the {args.max_minutes}-minute bound before all lookups ran")
    print(f"soak: rss_growth_pct={growth:.2f} errors={errors}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.soak")
    parser.add_argument("--lookups", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--ttl-s", type=float, default=5.0)
    parser.add_argument("--max-minutes", type=float, default=40.0)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
