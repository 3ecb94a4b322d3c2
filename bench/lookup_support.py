"""Shared set-up of the lookup benchmarks: stand-ins with latency, hub and bare servers, load.

Latencies: the court stand-in sleeps 80 ms per SOAP call (its own ``--latency-ms``). The
police (30 ms), prison (50 ms) and justice-bureau (20 ms) stand-ins are SQLite files with
no latency knob, so ``DelayedAdapter`` sleeps before each of their calls: in the
benchmarks only, never in the product.

Servers run as child processes on 127.0.0.1 (``python -m bench.lookup_support hub|bare``)
so the load generator never shares their interpreter; both use the same uvicorn settings.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adapters.contract import RecordAdapter
from adapters.correction import CorrectionAdapter
from adapters.court import CourtAdapter
from adapters.idnumber import IdNumber, parse_id_number
from adapters.police import PoliceAdapter
from adapters.prison import PrisonAdapter
from adapters.records import Agency, AgencyRecords
from hub.agency_stack import build_record_cache, wrap_adapters
from hub.cache_codec import encode_records
from hub.gc_tuning import tune_for_serving
from hub.settings_perf import PerfSettings
from simulators.cli import load_database, sqlite_url
from simulators.court import create_and_load
from simulators.dataset import build_dataset

LATENCY_MS = {Agency.COURT: 80, Agency.POLICE: 30, Agency.PRISON: 50, Agency.JUSTICE_BUREAU: 20}
SQL_STAND_INS = {Agency.POLICE: "police", Agency.PRISON: "prison", Agency.JUSTICE_BUREAU: "correction"}
UVICORN = {"host": "127.0.0.1", "log_level": "warning", "access_log": False, "lifespan": "on"}
LATENCY_NOTE = (
    "latency: court 80 ms in its SOAP stand-in; police 30, prison 50, correction 20 ms added by a "
    "sleeping adapter wrapper in this bench (the SQL stand-ins have no latency knob)"
)

# A judge of Xichang's court checking a defendant for trial: a purpose the policy allows.
CASE_NUMBER = "（2024）川3401刑初12号"
LOOKUP_QUERY = """query($id: String!, $case: String) {
  priorRecords(idNumber: $id, purpose: TRIAL, caseNumber: $case) {
  idNumber person { name idNumber otherNames }
  criminalRecords { caseNumber { canonical } courtName charges { name article } effectiveDate }
  caseInformation { judgments { caseNumber { canonical } } policeCases { policeCaseNumber status }
    custody { prisonName releasedOn } corrections { correctionType status } }
  sources { agency status latencyMs error { code } } } }"""


class DelayedAdapter:
    """Sleeps ``delay_s`` before each lookup, standing in for a remote database's latency."""

    def __init__(self, inner: RecordAdapter, delay_s: float) -> None:
        self.agency = inner.agency
        self.inner = inner
        self.delay_s = delay_s

    async def start(self) -> None:
        await self.inner.start()

    async def ping(self) -> None:
        await self.inner.ping()

    async def aclose(self) -> None:
        await self.inner.aclose()

    async def fetch_records(self, id_number: IdNumber) -> AgencyRecords:
        await asyncio.sleep(self.delay_s)
        return await self.inner.fetch_records(id_number)

    async def fetch_records_many(self, id_numbers: Sequence[IdNumber]) -> dict[str, AgencyRecords]:
        """Sleep one round trip's latency for the whole batch, as one ``IN`` query would take."""
        await asyncio.sleep(self.delay_s)
        return await self.inner.fetch_records_many(id_numbers)  # type: ignore[attr-defined,no-any-return]

    async def fetch_records_by_local_keys(self, keys: Sequence[str]) -> AgencyRecords:
        await asyncio.sleep(self.delay_s)
        return await self.inner.fetch_records_by_local_keys(keys)  # type: ignore[attr-defined,no-any-return]


@dataclass(frozen=True, slots=True)
class StandIns:
    folder: Path
    court_url: str
    id_numbers: tuple[str, ...]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def stand_ins() -> Iterator[StandIns]:
    """Fill the SQLite stand-ins and run the court's SOAP stand-in (80 ms) in a child process."""
    data = build_dataset()
    with tempfile.TemporaryDirectory(prefix="hub-bench-") as name:
        folder = Path(name)
        for stand_in in SQL_STAND_INS.values():
            load_database(stand_in, sqlite_url(folder, stand_in), data)
        create_and_load(str(folder / "court.sqlite"), data)
        port = free_port()
        args = ["--db", str(folder / "court.sqlite"), "--port", str(port), "--latency-ms", "80"]
        with child([sys.executable, "-m", "simulators.court", *args]):
            base = f"http://127.0.0.1:{port}"
            wait_for(f"{base}/ws/court?wsdl")
            ids = tuple(person.id_number for person in data.people)
            yield StandIns(folder, f"{base}/ws/court", ids)


def raw_adapters(folder: Path, court_url: str) -> list[RecordAdapter]:
    """The four agency adapters over the stand-ins, each with its bench latency."""
    factories = {
        Agency.POLICE: PoliceAdapter,
        Agency.PRISON: PrisonAdapter,
        Agency.JUSTICE_BUREAU: CorrectionAdapter,
    }
    adapters: list[RecordAdapter] = [CourtAdapter(court_url, timeout_s=5.0)]
    pools = PerfSettings().concurrency_limits()  # as hub.app.build_adapters sizes them
    for agency, stand_in in SQL_STAND_INS.items():
        inner = factories[agency](sqlite_url(folder, stand_in), timeout_s=3.0, pool_size=pools[agency])
        adapters.append(DelayedAdapter(inner, LATENCY_MS[agency] / 1000))
    return adapters


@contextmanager
def child(args: Sequence[str], env: dict[str, str] | None = None) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(args, env={**os.environ, **(env or {})})
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def wait_for(url: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer 200 within {timeout_s} s")


@contextmanager
def server(kind: str, setup: StandIns, *, ttl_s: float) -> Iterator[tuple[str, int]]:
    """Run the ``hub`` or ``bare`` app in a child process; yield its base URL and pid."""
    port = free_port()
    args = [sys.executable, "-m", "bench.lookup_support", kind, "--port", str(port)]
    args += ["--dir", str(setup.folder), "--court-url", setup.court_url, "--ttl-s", str(ttl_s)]
    request_headers(setup.folder)  # creates the signing key before the hub reads it
    with child(args, hub_env(setup.folder)) as process:
        base = f"http://127.0.0.1:{port}"
        wait_for(f"{base}/readyz")
        yield base, process.pid


def graphql_body(id_number: str) -> bytes:
    variables = {"id": id_number, "case": CASE_NUMBER}
    return json.dumps({"query": LOOKUP_QUERY, "variables": variables}).encode()


def hub_env(folder: Path) -> dict[str, str]:
    """Keys and the store under the bench's temporary folder; quotas out of the way of the load."""
    return {
        "HUB_STORE_URL": sqlite_url(folder, "hub-store"),
        "HUB_ENV": "development",
        "HUB_AUTH_KEY_FILE": str(folder / "auth-key.pem"),
        "HUB_AUDIT_SUBJECT_KEY_FILE": str(folder / "subject-key"),
        "HUB_AUDIT_SIGNING_KEY_FILE": str(folder / "audit-key.pem"),
        "HUB_RATE_PRIOR_RECORDS_PER_MINUTE": "1000000000",
        "HUB_RATE_PRIOR_RECORDS_PER_DAY": "1000000000",
        "HUB_RATE_REQUESTS_PER_MINUTE": "1000000000",
    }


def request_headers(folder: Path) -> dict[str, str]:
    """Mint a demo bearer token with the key the hub child process reads."""
    from hub.auth import load_or_create_key, mint_token

    key = load_or_create_key(folder / "auth-key.pem")
    token = mint_token("judge", "court:513401", key=key, user_id="bench-judge", ttl_minutes=120)
    return {"content-type": "application/json", "authorization": f"Bearer {token}"}


def percentile(samples: Sequence[float], fraction: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def summary(samples: Sequence[float]) -> dict[str, float]:
    return {
        "p50": percentile(samples, 0.50),
        "p90": percentile(samples, 0.90),
        "p99": percentile(samples, 0.99),
        "mean": statistics.fmean(samples),
    }


def rss_kib(pid: int, *, with_children: bool = False) -> int:
    """Return the resident set (VmRSS) of ``pid``, plus that of its child processes if asked."""
    total = 0
    for process in [pid, *(child_pids(pid) if with_children else [])]:
        for line in Path(f"/proc/{process}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
                break
        else:
            raise RuntimeError(f"no VmRSS for pid {process}")
    return total


def child_pids(pid: int) -> list[int]:
    """Return the processes whose parent is ``pid`` (the hub's audit child, when it has one)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The fields after the command name, which may itself contain ") ".
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited meanwhile
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return sorted(children)


def cpu_seconds(pid: int, *, main_thread: bool = False) -> float:
    """User plus system CPU time the process ``pid`` has used: all its threads, or its main thread."""
    stat = Path(f"/proc/{pid}/task/{pid}/stat" if main_thread else f"/proc/{pid}/stat")
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_stack() -> str:
    """Return the event loop and HTTP parser uvicorn picks when set to "auto".

    These are uvloop and httptools when installed.
    """
    import importlib.util

    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return f"uvicorn {uvicorn.__version__}, loop {loop}, HTTP parser {http}, one worker"


def machine() -> str:
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{model}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}"


def _wrapped(folder: Path, court_url: str, ttl_s: float) -> list[RecordAdapter]:
    perf = PerfSettings(
        cache_ttl_court_s=ttl_s,
        cache_ttl_police_s=ttl_s,
        cache_ttl_prison_s=ttl_s,
        cache_ttl_correction_s=ttl_s,
    )
    timeouts = {agency: 3.0 for agency in Agency} | {Agency.COURT: 5.0}
    return wrap_adapters(raw_adapters(folder, court_url), perf, timeouts, build_record_cache(perf))


def hub_app(folder: Path, court_url: str, ttl_s: float) -> Starlette:
    from hub.app import create_app
    from hub.settings import Settings

    return create_app(Settings(), adapters=_wrapped(folder, court_url, ttl_s), serving=True)


def bare_app(folder: Path, court_url: str, ttl_s: float) -> Starlette:
    """Build one endpoint that returns the same wrapped adapters' cached records: no GraphQL, no merge.

    Its process gets the hub's garbage-collector settings, so that both servers differ only
    in their apps.
    """
    adapters = _wrapped(folder, court_url, ttl_s)

    async def lookup(request: Request) -> Response:
        body = await request.json()
        id_number = parse_id_number(body["variables"]["id"])
        answers = await asyncio.gather(*(adapter.fetch_records(id_number) for adapter in adapters))
        payload = b"[" + b",".join(encode_records(records) for records in answers) + b"]"
        return Response(payload, media_type="application/json")

    async def ready(request: Request) -> Response:
        return Response(b'{"status":"ready"}', media_type="application/json")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        for adapter in adapters:
            await adapter.start()
        # The same collector settings as the hub's serving process (create_app(serving=True)).
        tune_for_serving(PerfSettings().gc_gen0_threshold)
        yield
        for adapter in adapters:
            await adapter.aclose()

    routes = [Route("/graphql", lookup, methods=["POST"]), Route("/readyz", ready)]
    return Starlette(routes=routes, lifespan=lifespan)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.lookup_support")
    parser.add_argument("kind", choices=["hub", "bare"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--court-url", required=True)
    parser.add_argument("--ttl-s", type=float, default=600.0)
    args = parser.parse_args(argv)

    build = hub_app if args.kind == "hub" else bare_app
    app = build(args.dir, args.court_url, args.ttl_s)
    uvicorn.run(app, port=args.port, **UVICORN)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
