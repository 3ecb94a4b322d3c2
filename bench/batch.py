"""One ``priorRecordsBatch`` query for 100 people, counting the calls each agency received.

The hub runs as a child process over the bench stand-ins (``bench.lookup_support``) with an
empty cache, so every person is a miss. Calls are the real upstream calls the hub's
instruments counted (``hub_upstream_call_seconds_count`` on ``/metrics``), read before and
after the query.

    python -m bench.batch [--people 100]

Last line: ``batch: people=N calls=police:1,court:1,...`` (target: one call per agency; the
SQL stand-ins batch with ``IN`` queries, the court's SOAP stand-in with ``queryPjxxBySfzhPl``).
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import Counter

import httpx

from bench.lookup_support import CASE_NUMBER, LATENCY_NOTE, machine, request_headers, server, stand_ins

BATCH_QUERY = """query($ids: [String!]!, $case: String) {
  priorRecordsBatch(idNumbers: $ids, purpose: TRIAL, caseNumber: $case) {
    idNumber criminalRecords { caseNumber { canonical } } sources { agency status } } }"""
AGENCIES = ("police", "court", "prison", "justice_bureau")
_CALLS = re.compile(r'^hub_upstream_call_seconds_count\{agency="([^"]+)",outcome="[^"]+"\} ([\d.e+]+)$', re.M)


def upstream_calls(client: httpx.Client) -> Counter[str]:
    counts: Counter[str] = Counter()
    for agency, value in _CALLS.findall(client.get("/metrics").text):
        counts[agency] += int(float(value))
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.batch")
    parser.add_argument("--people", type=int, default=100)
    args = parser.parse_args()

    with stand_ins() as setup, server("hub", setup, ttl_s=600) as (base_url, _):
        ids = list(setup.id_numbers[: args.people])
        body = {"query": BATCH_QUERY, "variables": {"ids": ids, "case": CASE_NUMBER}}
        with httpx.Client(base_url=base_url, headers=request_headers(setup.folder), timeout=60) as client:
            before = upstream_calls(client)
            started = time.perf_counter()
            response = client.post("/graphql", content=json.dumps(body).encode())
            elapsed_ms = (time.perf_counter() - started) * 1000
            after = upstream_calls(client)

    answer = response.json()
    people = answer.get("data", {}).get("priorRecordsBatch") or []
    failed = [s for p in people for s in p["sources"] if s["status"] != "OK"]
    calls = {agency: after[agency] - before[agency] for agency in AGENCIES}
    print(f"machine: {machine()}")
    print(LATENCY_NOTE)
    print(f"HTTP {response.status_code}, {len(people)} people answered in {elapsed_ms:.0f} ms")
    print(f"agency answers not OK: {len(failed)}; GraphQL errors: {len(answer.get('errors') or [])}")
    print(f"batch: people={len(people)} calls=" + ",".join(f"{a}:{calls[a]}" for a in AGENCIES))


if __name__ == "__main__":
    main()
