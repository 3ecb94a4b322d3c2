"""Where a warm lookup's CPU goes: the hub's layers measured in one process, in one run.

``bench.throughput`` measures how far the hub is from the bare endpoint. This bench shows
in which layer the difference is spent. It builds the hub and the bare app of
``bench.lookup_support`` in this process, over the same stand-ins, and calls each one
directly, without HTTP, from 32 callers at once. Each measurement is the main thread's CPU
time over a round of lookups of the same cached people, the lowest of several rounds:

- ``hub``: the whole ``priorRecords`` request through the hub's ASGI app;
- ``floor``: ``{ __typename }`` with the same token through the same app, which is the
  middleware, token check, strawberry view and GraphQL parse with no resolver;
- ``service``: ``LookupService.lookup`` called directly (policy, quota, fan-out, person
  index links, merge, sealing filter and the audit entry's group commit);
- ``records``: the fan-out alone (``LookupService.records.lookup``): the cached agency
  responses, the person index links and the merge;
- ``bare``: the bare endpoint's request through its ASGI app.

The GraphQL execution of the answer is about ``hub - floor - service``. The audit commit's
SQLite work runs in the audit writer's child process (``hub.audit_process``) and is not
counted, because the main thread is the one a one-worker server saturates.

    python -m bench.lookup_cost [--lookups 2000] [--rounds 7] [--people 50]

Last line: ``lookup_cost: hub_ms=H floor_ms=F service_ms=S records_ms=R bare_ms=B ratio=B/H``.
The ratio is what ``bench.throughput`` would give if HTTP cost nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.types import Message, Scope

from adapters.idnumber import parse_id_number
from bench.lookup_support import (
    CASE_NUMBER,
    bare_app,
    graphql_body,
    hub_app,
    hub_env,
    machine,
    request_headers,
    stand_ins,
)
from bench.throughput import cacheable_people
from hub.auth import Principal, Role, Unit, UnitAgency

CALLERS = 32
T = TypeVar("T")


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` on uvloop when installed, as the servers of the other benches do."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


def thread_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_THREAD)
    return usage.ru_utime + usage.ru_stime


class AsgiCaller:
    """Caller that POSTs bodies to an ASGI app with no server or HTTP client, checking each response."""

    def __init__(self, app: Starlette, headers: dict[str, str]) -> None:
        self.app = app
        self.headers = [(name.encode(), value.encode()) for name, value in headers.items()]

    async def post(self, body: bytes) -> None:
        scope: Scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/graphql",
            "raw_path": b"/graphql",
            "query_string": b"",
            "root_path": "",
            "headers": [*self.headers, (b"content-length", str(len(body)).encode())],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
            "state": {},
        }
        messages: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]
        chunks: list[bytes] = []
        status = 0

        async def receive() -> Message:
            if messages:
                return messages.pop()
            # A read after the body waits for a disconnect that never comes. A listener task
            # waiting here is cancelled when the response ends.
            await asyncio.Event().wait()
            raise AssertionError("unreachable")

        async def send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        answer = b"".join(chunks)
        if status != 200 or b'"errors"' in answer:
            raise RuntimeError(f"lookup failed: HTTP {status} {answer[:300]!r}; check the hub's log above")


async def cpu_ms_per_call(call: Callable[[int], Awaitable[object]], lookups: int, rounds: int) -> float:
    """Run ``call(n)`` ``lookups`` times from CALLERS tasks per round; return the lowest CPU ms per call."""

    async def one_round() -> float:
        next_n = 0

        async def caller() -> None:
            nonlocal next_n
            while next_n < lookups:
                n = next_n
                next_n += 1
                await call(n)

        started = thread_cpu_s()
        await asyncio.gather(*(caller() for _ in range(CALLERS)))
        return 1000 * (thread_cpu_s() - started) / lookups

    await one_round()  # warm-up: caches, plans, verified token
    return min([await one_round() for _ in range(rounds)])


async def adapters_started(hub: Starlette, timeout_s: float = 30.0) -> None:
    """Wait until the hub has started every adapter, as the servers' ``/readyz`` wait does.

    The hub starts its adapters in the background, so a lookup sent at once can find the
    court's WSDL not loaded yet.
    """
    supervisor = hub.state.services.sources.supervisor
    async with asyncio.timeout(timeout_s):
        # The supervisor has no event to wait on, only a state to poll.
        while not supervisor.is_ready():  # noqa: ASYNC110
            await asyncio.sleep(0.05)


async def measure(
    hub: Starlette, bare: Starlette, ids: Sequence[str], headers: dict[str, str], args: argparse.Namespace
) -> dict[str, float]:
    bodies = [graphql_body(id_number) for id_number in ids]
    floor_body = json.dumps({"query": "{ __typename }"}).encode()
    people = [parse_id_number(id_number) for id_number in ids]
    # The principal of the bench token (bench.lookup_support.request_headers).
    judge = Principal("bench-judge", Unit(UnitAgency.COURT, "513401"), frozenset({Role.JUDGE}))
    hub_caller, bare_caller = AsgiCaller(hub, headers), AsgiCaller(bare, headers)

    async with hub.router.lifespan_context(hub), bare.router.lifespan_context(bare):
        await adapters_started(hub)
        lookups = hub.state.services.lookups
        for body in bodies:  # fill both caches one person at a time
            await hub_caller.post(body)
            await bare_caller.post(body)

        def timed(call: Callable[[int], Awaitable[object]]) -> Awaitable[float]:
            return cpu_ms_per_call(call, args.lookups, args.rounds)

        return {
            "hub": await timed(lambda n: hub_caller.post(bodies[n % len(bodies)])),
            "floor": await timed(lambda n: hub_caller.post(floor_body)),
            "service": await timed(
                lambda n: lookups.lookup(judge, people[n % len(people)], "trial", case_number=CASE_NUMBER)
            ),
            "records": await timed(lambda n: lookups.records.lookup(people[n % len(people)])),
            "bare": await timed(lambda n: bare_caller.post(bodies[n % len(bodies)])),
        }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.lookup_cost")
    parser.add_argument("--lookups", type=int, default=2000, help="lookups per round")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--people", type=int, default=50)
    args = parser.parse_args()

    with stand_ins() as setup:
        ids, checked = asyncio.run(cacheable_people(setup, args.people))
        headers = request_headers(setup.folder)
        os.environ.update(hub_env(setup.folder))
        hub = hub_app(setup.folder, setup.court_url, 3600)
        bare = bare_app(setup.folder, setup.court_url, 3600)
        costs = run_loop(measure(hub, bare, ids, headers, args))

    graphql = costs["hub"] - costs["floor"] - costs["service"]
    rows = [
        ("hub: the whole priorRecords request", costs["hub"]),
        ("  floor: { __typename } with the token", costs["floor"]),
        ("  service: LookupService.lookup", costs["service"]),
        ("    records: fan-out, links, merge", costs["records"]),
        ("    policy, sealing, audit entry", costs["service"] - costs["records"]),
        ("  GraphQL execution of the answer", graphql),
        ("bare: the bare endpoint's request", costs["bare"]),
    ]
    print(f"machine: {machine()}")
    print(f"people: the first {len(ids)} of {checked} residents checked whose answers the cache may keep")
    print(f"calls: {args.lookups} per round from {CALLERS} callers, lowest of {args.rounds} rounds")
    print(f"{'layer':<42}{'CPU ms/lookup':>15}{'share of hub':>14}")
    for label, value in rows:
        print(f"{label:<42}{value:>15.3f}{value / costs['hub']:>14.1%}")
    print("CPU: the main thread's; indented rows are parts of the row above, derived rows are differences")
    print(
        f"lookup_cost: hub_ms={costs['hub']:.3f} floor_ms={costs['floor']:.3f}"
        f" service_ms={costs['service']:.3f} records_ms={costs['records']:.3f}"
        f" bare_ms={costs['bare']:.3f} ratio={costs['bare'] / costs['hub']:.3f}"
    )


if __name__ == "__main__":
    main()
