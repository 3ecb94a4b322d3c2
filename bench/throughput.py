"""Warm-cache lookups per second: the hub against a bare Starlette endpoint, same run.

Both servers are child processes under the same uvicorn settings, over the same wrapped
and cached adapters. The people looked up are the first residents whose four answers the
sealing veto lets the cache keep, so every measured lookup is a cache hit. The bare
endpoint gathers the four cached responses and returns them as JSON: no authentication,
rate limit, audit entry, GraphQL or merge. Load comes from wrk (Debian package ``wrk``)
when installed, else from a Python client in this process, which then caps both rates
and flatters the ratio; the output says which ran.

    python -m bench.throughput [--seconds 8] [--connections 32] [--people 50]

Last line: ``throughput: hub_rps=H bare_rps=R ratio=H/R`` (target ratio >= 0.5).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from adapters.idnumber import parse_id_number
from bench.lookup_support import (
    LATENCY_NOTE,
    StandIns,
    cpu_seconds,
    graphql_body,
    machine,
    raw_adapters,
    request_headers,
    server,
    server_stack,
    stand_ins,
)
from hub.cache_veto import sealing_veto

WRK_SCRIPT = """
local bodies = {%s}
local n = 0
wrk.method = "POST"
%s
request = function()
  n = n %% #bodies + 1
  return wrk.format(nil, "/graphql", nil, bodies[n])
end
"""


def wrk_script(folder: Path, headers: dict[str, str], ids: Sequence[str]) -> Path:
    bodies = ",".join(_lua_string(graphql_body(id_number).decode()) for id_number in ids)
    header_lines = "\n".join(f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items())
    path = folder / "lookups.lua"
    path.write_text(WRK_SCRIPT % (bodies, header_lines), encoding="utf-8")
    return path


def _lua_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=True)  # a JSON string is a valid Lua string here


def run_wrk(base_url: str, script: Path, seconds: int, connections: int) -> tuple[float, int]:
    args = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(script), base_url]
    output = subprocess.run(args, capture_output=True, text=True, check=True, timeout=seconds + 30).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    failed = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return rate, int(failed.group(1)) if failed else 0


async def run_python(
    base_url: str, headers: dict[str, str], ids: Sequence[str], seconds: int, connections: int
) -> tuple[float, int]:
    done = failed = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=connections)

    async with httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits, timeout=10) as client:

        async def worker(offset: int) -> None:
            nonlocal done, failed
            n = offset
            while time.perf_counter() < deadline:
                response = await client.post("/graphql", content=graphql_body(ids[n % len(ids)]))
                done += 1
                failed += response.status_code != 200
                n += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(connections)))
        return done / (time.perf_counter() - started), failed


def warm(base_url: str, headers: dict[str, str], ids: Sequence[str]) -> None:
    with httpx.Client(base_url=base_url, headers=headers, timeout=10) as client:
        for id_number in ids:
            response = client.post("/graphql", content=graphql_body(id_number))
            if response.status_code != 200 or "errors" in response.json():
                raise RuntimeError(f"warm-up lookup failed: {response.status_code} {response.text[:300]}")


async def cacheable_people(setup: StandIns, count: int) -> tuple[list[str], int]:
    """Pick the first ``count`` residents whose four agency responses the sealing veto lets the cache keep.

    A person with a possibly sealed record is looked up at the agency on every request, in
    both servers alike, so such a lookup is no warm-cache lookup. Returns the people and how
    many residents were checked to find them.
    """
    adapters = raw_adapters(setup.folder, setup.court_url)
    for adapter in adapters:
        await adapter.start()
    chosen: list[str] = []
    checked = 0
    try:
        for raw in setup.id_numbers:
            if len(chosen) == count:
                break
            checked += 1
            id_number = parse_id_number(raw)
            answers = await asyncio.gather(*(adapter.fetch_records(id_number) for adapter in adapters))
            if all(sealing_veto(id_number, answer) for answer in answers):
                chosen.append(raw)
    finally:
        for adapter in adapters:
            await adapter.aclose()
    if len(chosen) < count:
        raise RuntimeError(
            f"found {len(chosen)} of {count} residents whose records the cache may keep"
            f" after checking {checked}; run with a smaller --people"
        )
    return chosen, checked


@dataclass(frozen=True, slots=True)
class Round:
    rate: float  # requests per second
    failed: int  # non-2xx responses
    cpu_ms: float  # the server process's CPU milliseconds per request
    loop_cpu_ms: float  # the same for its main thread alone, which runs the event loop


def measure(kind: str, setup_args: argparse.Namespace, work: Path, ids: Sequence[str]) -> Round:
    with stand_ins() as setup, server(kind, setup, ttl_s=3600) as (base_url, pid):
        headers = request_headers(setup.folder)
        warm(base_url, headers, ids)
        before, loop_before = cpu_seconds(pid), cpu_seconds(pid, main_thread=True)
        if shutil.which("wrk"):
            script = wrk_script(work, headers, ids)
            rate, failed = run_wrk(base_url, script, setup_args.seconds, setup_args.connections)
        else:
            rate, failed = asyncio.run(
                run_python(base_url, headers, ids, setup_args.seconds, setup_args.connections)
            )
        used_s = cpu_seconds(pid) - before
        loop_used_s = cpu_seconds(pid, main_thread=True) - loop_before
        served = rate * setup_args.seconds
        return Round(rate, failed, 1000 * used_s / served, 1000 * loop_used_s / served)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.throughput")
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--people", type=int, default=50)
    args = parser.parse_args()

    with stand_ins() as setup:
        ids, checked = asyncio.run(cacheable_people(setup, args.people))

    rounds: dict[str, list[Round]] = {"hub": [], "bare": []}
    with tempfile.TemporaryDirectory(prefix="hub-bench-wrk-") as name:
        for kind in ("hub", "bare", "hub", "bare"):
            rounds[kind].append(measure(kind, args, Path(name), ids))

    hub, bare = (max(r.rate for r in rounds[kind]) for kind in ("hub", "bare"))
    print(f"machine: {machine()}")
    print(f"server: {server_stack()}")
    print(LATENCY_NOTE + "; every measured lookup is a cache hit")
    loader = "wrk -t1" if shutil.which("wrk") else "Python httpx client (caps both rates)"
    print(f"load: {loader}, {args.connections} connections, {args.seconds} s per round, {args.people} people")
    print(f"people: the first {len(ids)} of {checked} residents checked whose answers the cache may keep")
    print(
        f"{'server':<10}{'round 1 rps':>14}{'round 2 rps':>14}{'best rps':>12}"
        f"{'CPU ms/request':>17}{'loop thread':>14}"
    )
    for kind in ("hub", "bare"):
        first, second = rounds[kind]
        cpu_ms = min(first.cpu_ms, second.cpu_ms)
        loop_cpu_ms = min(first.loop_cpu_ms, second.loop_cpu_ms)
        best = max(first.rate, second.rate)
        print(
            f"{kind:<10}{first.rate:>14.0f}{second.rate:>14.0f}{best:>12.0f}{cpu_ms:>17.3f}{loop_cpu_ms:>14.3f}"
        )
    print(
        "CPU ms/request: the server process's CPU time over the requests served, lower round;"
        " loop thread: the same for the main thread, which runs the event loop"
    )
    print(f"non-2xx responses: {sum(r.failed for runs in rounds.values() for r in runs)}")
    print(f"throughput: hub_rps={hub:.0f} bare_rps={bare:.0f} ratio={hub / bare:.3f}")


if __name__ == "__main__":
    main()
