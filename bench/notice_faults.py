"""Fault campaign for the correction-notice flow: ``python -m bench.notice_faults --runs N``.

Court and bureau stand-ins run as child processes on loopback ports for the whole campaign.
The bureau fails a third of its DeliverNotice requests in one fault mode per run, or in a
mode that changes every few hundred milliseconds ("mixed"). Each run posts judgments to the
court, starts ``hub poll court`` and ``hub deliver`` as separate processes and kills them
(SIGKILL, sometimes SIGINT) after random delays, or lets them finish. Then the campaign
turns the faults off and settles: it polls and delivers until the hub has nothing unsent.

The count comes from the bureau stand-in's records, see ``bench.notice_tally``. The last
line printed is ``notices: runs=N expected=E delivered=D lost=L duplicated=X``. The exit
status is 0 when nothing was lost or duplicated and no judgment that must not reach a bureau
(custodial, police-only, parked) reached one. Otherwise it is 1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import random
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
from sqlalchemy.engine import make_url

from bench.notice_children import Child, Children, free_port, wait_until_ready
from bench.notice_mix import PlannedJudgment, plan_run
from bench.notice_settle import Settler
from bench.notice_tally import Fate, GroundTruth, RunRecord, count_by_fault, strangers, table
from hub.notices.config import NoticeSettings
from simulators.bureau.faults import FAULTS

REPO_ROOT = Path(__file__).resolve().parents[1]
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
POSTGRES_ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"

FAULT_MODES = (*FAULTS, "mixed")
FAILURE_RATE = 1 / 3
MIXED_SWITCH_S = 0.2
# The stand-in's ``timeout`` fault waits this long, longer than HUB_BUREAU_TIMEOUT_S below,
# so the hub gives up first and the bureau stores the notice afterwards.
BUREAU_TIMEOUT_FAULT_S = 0.6

# Short retries and leases so a run settles in about a second. The lease must outlast one
# claim batch of sends (3 × 0.3 s), and the poll lock must outlast one poll of a run's judgments.
HUB_TUNING = {
    "HUB_RETRY_BASE_S": "0.05",
    "HUB_RETRY_CAP_S": "0.2",
    "HUB_FAILING_AFTER": "3",
    "HUB_LEASE_S": "1.5",
    "HUB_BUREAU_TIMEOUT_S": "0.3",
    "HUB_COURT_TIMEOUT_S": "3",
    "HUB_POLL_BATCH_SIZE": "2",
    "HUB_DELIVER_BATCH_SIZE": "3",
    "HUB_LOCK_TTL_S": "1.0",
    "HUB_AUTO_MIGRATE": "false",
    "HUB_BUREAU_ENDPOINTS": "{}",
}

# Kill delays as multiples of the median lifetime of recent polls that ran to their end, so
# that they suit the machine. Most of a poll's lifetime is the interpreter's start-up, so
# the poll window covers the start-up, the work and the time after. The first runs use
# ``hub --help`` plus FIRST_POLL_WORK_S. Corrections are posted seconds after the run starts.
POLL_KILL_FRACTION = (0.55, 1.1)
DELIVER_KILL_FRACTION = (0.8, 2.0)
FIRST_POLL_WORK_S = 0.4
RECENT_POLLS = 20
CORRECTION_DELAY_S = (0.0, 1.5)
POLL_FATES = {Fate.KILL: 70, Fate.COMPLETE: 30}
DELIVER_FATES = {Fate.KILL: 60, Fate.INTERRUPT: 15, Fate.COMPLETE: 25}
DELIVER_LOOP_S = "0.05"

CHILD_TIMEOUT_S = 30.0  # a poll or delivery process still running after this is killed
MIGRATE_TIMEOUT_S = 120.0
SETTLE_TIMEOUT_S = 30.0

# The notice commands as one click group, for when ``hub.cli`` does not register them yet.
_NOTICE_CLI = (
    "import click; from hub.notices.commands import COMMANDS; "
    "click.Group('hub', commands={c.name: c for c in COMMANDS})(prog_name='hub')"
)


@dataclass(frozen=True, slots=True)
class Options:
    runs: int
    seed: int
    judgments_per_run: int
    store_url: str | None
    sqlite: bool
    redis_url: str | None
    work_dir: Path | None


def parse_options(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench.notice_faults", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, required=True, help="number of runs")
    parser.add_argument("--seed", type=int, default=1, help="seed of every random choice (default 1)")
    parser.add_argument(
        "--judgments-per-run", type=int, default=8, help="judgments posted per run (default 8)"
    )
    store = parser.add_mutually_exclusive_group()
    store.add_argument(
        "--store-url", help="hub database to use, empty and on loopback (default: a new PostgreSQL database)"
    )
    store.add_argument("--sqlite", action="store_true", help="use a SQLite file in the work directory")
    parser.add_argument("--redis-url", help="Redis for the poll lock (default: the store's lock table)")
    parser.add_argument(
        "--work-dir", type=Path, help="keep stand-in databases and logs here (default: removed)"
    )
    args = parser.parse_args(argv)

    if args.runs < 1 or args.judgments_per_run < 1:
        parser.error("--runs and --judgments-per-run must be 1 or more")
    for name, url in (("--store-url", args.store_url), ("--redis-url", args.redis_url)):
        if url and make_url(url).host not in LOOPBACK_HOSTS:
            parser.error(f"{name} must point at 127.0.0.1, localhost or ::1, got host {make_url(url).host!r}")
    return Options(
        args.runs,
        args.seed,
        args.judgments_per_run,
        args.store_url,
        args.sqlite,
        args.redis_url,
        args.work_dir,
    )


@contextlib.contextmanager
def provisioned_store(options: Options, work_dir: Path) -> Iterator[str]:
    """Yield the hub's database URL. A PostgreSQL database created here is dropped on exit."""
    if options.store_url:
        yield options.store_url
        return
    if options.sqlite:
        yield f"sqlite+aiosqlite:///{work_dir / 'hub.sqlite'}"
        return

    import psycopg

    name = f"hub_faults_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def hub_argv() -> list[str]:
    """Return the command that runs ``hub``, which is ``hub.cli`` once it registers the notice commands."""
    from hub.cli import hub

    if {"migrate", "poll", "deliver"} <= set(hub.commands):
        return [sys.executable, "-c", "from hub.cli import main; main()"]
    return [sys.executable, "-c", _NOTICE_CLI]


def run_rng(seed: int, run: int) -> random.Random:
    """Return the random source of one run. Its first draws are the run's judgments (``plan_run``)."""
    return random.Random(f"{seed}/{run}")


class Campaign:
    """The stand-ins, the settler and the per-run processes of one campaign."""

    def __init__(self, options: Options, children: Children, work_dir: Path) -> None:
        self.options = options
        self.children = children
        self.work_dir = work_dir
        self.hub = hub_argv()
        self.admin = httpx.AsyncClient(timeout=10.0, trust_env=False)
        self.court_base = ""
        self.bureau_base = ""
        self.startup_s = 0.0
        self.poll_lifetimes: list[float] = []  # seconds, of polls that ended on their own
        self.fault_order = list(FAULT_MODES)
        random.Random(options.seed).shuffle(self.fault_order)

    async def start_standins(self) -> dict[str, str]:
        """Start the court and bureau stand-ins and return the HUB_* variables that point at them."""
        court_port, bureau_port = free_port(), free_port()
        court = await self.children.start(
            "court",
            [sys.executable, "-m", "simulators.court", "--db", str(self.work_dir / "court.sqlite"),
             "--port", str(court_port)],
        )  # fmt: skip
        bureau = await self.children.start(
            "bureau",
            [sys.executable, "-m", "simulators.bureau", "--db", str(self.work_dir / "bureau.sqlite"),
             "--port", str(bureau_port), "--timeout-s", str(BUREAU_TIMEOUT_FAULT_S),
             "--seed", str(self.options.seed)],
        )  # fmt: skip
        self.court_base = f"http://127.0.0.1:{court_port}"
        self.bureau_base = f"http://127.0.0.1:{bureau_port}"
        await wait_until_ready(court, f"{self.court_base}/admin/config")
        await wait_until_ready(bureau, f"{self.bureau_base}/healthz")
        return {"HUB_COURT_URL": f"{self.court_base}/ws/court", "HUB_BUREAU_URL": f"{self.bureau_base}/soap"}

    async def migrate(self) -> None:
        child = await self.children.start("migrate", [*self.hub, "migrate"])
        await self._reap_standalone(child, "hub migrate", MIGRATE_TIMEOUT_S)

    async def _reap_standalone(self, child: Child, command: str, timeout_s: float) -> None:
        code = await child.wait(timeout_s)
        if code is None:
            await child.end()
            raise RuntimeError(f"{command} did not finish in {timeout_s:.0f} s")
        if code != 0:
            raise RuntimeError(f"{command} failed with exit status {code}:\n{child.log_tail()}")

    async def measure_startup(self) -> float:
        """Time ``hub --help`` twice, keep the shorter, and return it (seconds)."""
        times = []
        for _ in range(2):
            child = await self.children.start("startup", [*self.hub, "--help"])
            await self._reap_standalone(child, "hub --help", MIGRATE_TIMEOUT_S)
            times.append(time.monotonic() - child.started)
        self.startup_s = min(times)
        return self.startup_s

    @property
    def poll_lifetime_s(self) -> float:
        recent = self.poll_lifetimes[-RECENT_POLLS:]
        return statistics.median(recent) if recent else self.startup_s + FIRST_POLL_WORK_S

    async def run_once(self, run: int, settler: Settler) -> RunRecord:
        record, delays = self._plan(run)
        attempts_before = await settler.attempt_outcomes()
        notices_before = await settler.notice_count()
        last_sequence = max([await self._post(j.posting) for j in record.judgments])

        started = time.monotonic()
        last_sequence = max(last_sequence, await self._faulty_phase(record, delays))
        record.chaos_s = time.monotonic() - started
        record.chaos_notices = await settler.notice_count() - notices_before
        attempts_after_chaos = await settler.attempt_outcomes()
        record.chaos_attempts = attempts_after_chaos - attempts_before

        await self._configure_bureau(failure_rate=0.0, fail_next=0)
        started = time.monotonic()
        record.settled = await settler.settle(last_sequence, SETTLE_TIMEOUT_S, f"bench-settle-{run}")
        record.settle_s = time.monotonic() - started
        record.settle_attempts = await settler.attempt_outcomes() - attempts_after_chaos
        return record

    def _plan(self, run: int) -> tuple[RunRecord, tuple[float, float, float]]:
        """Draw the run's judgments, the fates of its processes and the delays (poll, deliver, correction)."""
        rng = run_rng(self.options.seed, run)
        record = RunRecord(
            run=run,
            fault=self.fault_order[run % len(self.fault_order)],
            judgments=plan_run(run, self.options.judgments_per_run, rng),
            poll_fate=_draw(POLL_FATES, rng),
            deliver_fate=_draw(DELIVER_FATES, rng),
        )
        delays = (
            self.poll_lifetime_s * rng.uniform(*POLL_KILL_FRACTION),
            self.poll_lifetime_s * rng.uniform(*DELIVER_KILL_FRACTION),
            rng.uniform(*CORRECTION_DELAY_S),
        )
        return record, delays

    async def _faulty_phase(self, record: RunRecord, delays: tuple[float, float, float]) -> int:
        """Turn the run's bureau faults on, run the chaos, and return the last court sequence posted."""
        rng = random.Random(f"{self.options.seed}/{record.run}/faults")
        first = rng.choice(FAULTS) if record.fault == "mixed" else record.fault
        await self._configure_bureau(fault=first, failure_rate=FAILURE_RATE)
        switcher = asyncio.create_task(self._switch_faults(record.fault, rng))
        try:
            return await self._chaos(record, *delays)
        finally:
            switcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await switcher

    async def bureau_records(self) -> list[dict[str, Any]]:
        response = await self.admin.get(f"{self.bureau_base}/admin/notices")
        response.raise_for_status()
        records: list[dict[str, Any]] = response.json()
        return records

    async def _chaos(
        self, record: RunRecord, poll_delay: float, deliver_delay: float, post_delay: float
    ) -> int:
        """Run the poll and delivery processes to their fates, and return the last court sequence posted."""
        poller = await self.children.start(f"run{record.run:04d}-poll", [*self.hub, "poll", "court"])
        poll_end, deliver_end, last_sequence = await asyncio.gather(
            self._end(poller, record.poll_fate, poll_delay, record),
            self._deliverer(record, poller, deliver_delay),
            self._post_corrections(record.judgments, post_delay),
        )
        record.poll_signalled, record.poll_s = poll_end
        if not record.poll_signalled:
            self.poll_lifetimes.append(record.poll_s)
        record.deliver_signalled, record.deliver_s = deliver_end
        return last_sequence

    async def _deliverer(self, record: RunRecord, poller: Child, delay_s: float) -> tuple[bool, float]:
        name = f"run{record.run:04d}-deliver"
        if record.deliver_fate is Fate.COMPLETE:
            # Run once after the poll, the way cron runs ``hub deliver`` with no --loop.
            await poller.process.wait()
            child = await self.children.start(name, [*self.hub, "deliver"])
        else:
            child = await self.children.start(name, [*self.hub, "deliver", "--loop", DELIVER_LOOP_S])
        return await self._end(child, record.deliver_fate, delay_s, record)

    async def _end(self, child: Child, fate: Fate, delay_s: float, record: RunRecord) -> tuple[bool, float]:
        """Bring ``child`` to ``fate``, and return whether a signal reached it while it ran, and when.

        The time is in seconds after the start, of the signal or else of the exit.
        """
        if fate is Fate.COMPLETE or await child.wait(delay_s) is not None:
            return False, await self._reap(child, record, signalled=False)
        signalled = child.send(signal.SIGKILL if fate is Fate.KILL else signal.SIGINT)
        signalled_after = time.monotonic() - child.started
        await self._reap(child, record, signalled=signalled)
        return signalled, signalled_after

    async def _reap(self, child: Child, record: RunRecord, *, signalled: bool) -> float:
        """Wait for the exit, record an unexpected one, and return the seconds from start to exit."""
        code = await child.wait(CHILD_TIMEOUT_S)
        exited_after = time.monotonic() - child.started
        if code is None:
            await child.end()
            record.child_errors.append(f"{child.name} still ran after {CHILD_TIMEOUT_S:.0f} s and was killed")
        elif code != 0 and not signalled:
            record.child_errors.append(f"{child.name} exited with status {code}:\n{child.log_tail()}")
        return exited_after

    async def _post_corrections(self, judgments: list[PlannedJudgment], delay_s: float) -> int:
        await asyncio.sleep(delay_s)
        sequences = [await self._post(j.correction) for j in judgments if j.correction is not None]
        return max(sequences, default=0)

    async def _switch_faults(self, fault: str, rng: random.Random) -> None:
        if fault != "mixed":
            return
        while True:
            await asyncio.sleep(MIXED_SWITCH_S)
            await self._configure_bureau(fault=rng.choice(FAULTS))

    async def _post(self, judgment: dict[str, Any]) -> int:
        response = await self.admin.post(f"{self.court_base}/admin/judgments", json=judgment)
        response.raise_for_status()
        return int(response.json()["sequence"])

    async def _configure_bureau(self, **changes: object) -> None:
        response = await self.admin.post(f"{self.bureau_base}/admin/config", json=changes)
        response.raise_for_status()


async def run_campaign(options: Options, store_url: str, work_dir: Path) -> int:
    log_dir = work_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        filename=log_dir / "settle.log", level=logging.INFO, format="%(asctime)s %(name)s %(message)s"
    )
    hub_env = {**HUB_TUNING, "HUB_STORE_URL": store_url, "HUB_REDIS_URL": options.redis_url or ""}
    loopback = {"NO_PROXY": "127.0.0.1,localhost,::1", "no_proxy": "127.0.0.1,localhost,::1"}
    children = Children(log_dir, env={**os.environ, **hub_env, **loopback}, cwd=REPO_ROOT)
    campaign = Campaign(options, children, work_dir)
    started = time.monotonic()
    try:
        hub_env.update(await campaign.start_standins())
        children.env.update(hub_env)
        # The settler reads the same HUB_* variables as the hub processes, so it runs with their settings.
        os.environ.update({**hub_env, **loopback})
        await campaign.migrate()
        await campaign.measure_startup()
        settler = Settler(NoticeSettings())
        try:
            await settler.start()
            records = await _runs(campaign, settler)
            truth = GroundTruth.read(await campaign.bureau_records(), await settler.notice_keys())
        finally:
            await settler.aclose()
    finally:
        children.kill_all()
        await campaign.admin.aclose()
    print(
        f"hub --help: {campaign.startup_s:.2f} s; median lifetime of the last polls that ended"
        f" on their own, the scale of the kill delays: {campaign.poll_lifetime_s:.2f} s"
    )
    return _report(records, truth, time.monotonic() - started, log_dir if options.work_dir else None)


async def _runs(campaign: Campaign, settler: Settler) -> list[RunRecord]:
    existing = await settler.notice_count()
    if existing:
        raise RuntimeError(
            f"the hub store is not empty: it contains {existing} notices. Pass an empty database"
            " with --store-url, or leave the option out to create a new one"
        )
    records = []
    for run in range(campaign.options.runs):
        record = await campaign.run_once(run, settler)
        records.append(record)
        print(_progress(record, campaign.options.runs), file=sys.stderr, flush=True)
    return records


def _report(records: list[RunRecord], truth: GroundTruth, wall_s: float, log_dir: Path | None) -> int:
    counts = count_by_fault(records, truth)
    total = counts["all"]
    unknown = strangers(records, truth)
    errors = [error for record in records for error in record.child_errors]

    for line in table(counts):
        print(line)
    print("kill p/d/int: SIGKILLs that reached a running poller / deliverer, SIGINTs to a deliverer")
    print("polled: notices the poll process wrote before it ended")
    print("attempts f/ok/settle: delivery attempts failed, accepted during the runs, accepted while settling")
    print("resent: deliveries the bureau absorbed by idempotency key")
    for error in errors[:5]:
        print(f"child error: {error}")
    if unknown:
        print(f"bureau records for judgments no run created: {unknown[:5]}")
    if log_dir is not None:
        print(f"logs: {log_dir}")
    print(f"wall time: {wall_s:.1f} s")
    print(
        f"notices: runs={total.runs} expected={total.expected} delivered={total.delivered}"
        f" lost={total.lost} duplicated={total.duplicated}"
    )
    clean = total.lost == 0 and total.duplicated == 0 and total.delivered == total.expected
    return 0 if clean and total.unexpected == 0 and not unknown else 1


def _progress(record: RunRecord, runs: int) -> str:
    return (
        f"run {record.run + 1}/{runs} fault={record.fault}"
        f" poll={record.poll_fate}{'!' if record.poll_signalled else ''}@{record.poll_s:.2f}s"
        f" deliver={record.deliver_fate}{'!' if record.deliver_signalled else ''}@{record.deliver_s:.2f}s"
        f" polled={record.chaos_notices} attempts={dict(record.chaos_attempts)}"
        f" chaos={record.chaos_s:.1f}s"
        f" settle={record.settle_s:.1f}s{'' if record.settled else ' UNSETTLED'}"
    )


def _draw(weights: dict[Fate, int], rng: random.Random) -> Fate:
    return rng.choices(list(weights), list(weights.values()))[0]


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_options(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    with contextlib.ExitStack() as stack:
        work_dir = options.work_dir or Path(
            stack.enter_context(tempfile.TemporaryDirectory(prefix="notice-faults-"))
        )
        work_dir.mkdir(parents=True, exist_ok=True)
        store_url = stack.enter_context(provisioned_store(options, work_dir))
        try:
            return asyncio.run(run_campaign(options, store_url, work_dir))
        except KeyboardInterrupt:
            print("interrupted: every child process was killed", file=sys.stderr)
            return 130


if __name__ == "__main__":
    sys.exit(main())
