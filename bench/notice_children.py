"""Child processes of the fault campaign: loopback only, bounded in time, always ended.

Each child runs in its own session, so a Ctrl+C in the terminal reaches the campaign alone
and the campaign decides which signal each child gets. ``Children.kill_all`` runs from the
campaign's ``finally`` and also from ``atexit``. On Linux each child also gets
``PR_SET_PDEATHSIG``, so that the kernel kills it when the campaign's process ends.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

READY_TIMEOUT_S = 20.0
_PR_SET_PDEATHSIG = 1


@dataclass(slots=True)
class Child:
    """A started child process with its log file and start time (``time.monotonic``)."""

    name: str
    process: asyncio.subprocess.Process
    log: Path
    started: float

    @property
    def running(self) -> bool:
        return self.process.returncode is None

    def send(self, signum: int) -> bool:
        """Send ``signum`` to the child's process group, and return whether the child was still running."""
        if not self.running:
            return False
        try:
            os.killpg(self.process.pid, signum)
        except ProcessLookupError:
            return False
        return True

    async def wait(self, timeout_s: float) -> int | None:
        """Wait up to ``timeout_s`` seconds for the exit; return the exit code, or None while it runs."""
        try:
            return await asyncio.wait_for(self.process.wait(), timeout_s)
        except TimeoutError:
            return None

    async def end(self, timeout_s: float = 5.0) -> int:
        """SIGKILL the child unless it has exited, and return its exit code."""
        self.send(signal.SIGKILL)
        code = await self.wait(timeout_s)
        if code is None:
            raise RuntimeError(f"{self.name} (pid {self.process.pid}) did not exit after SIGKILL")
        return code

    def log_tail(self, lines: int = 15) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


@dataclass(slots=True)
class Children:
    """Every child the campaign started, so that one call ends all of them."""

    log_dir: Path
    env: dict[str, str]
    cwd: Path
    started: list[Child] = field(default_factory=list)

    def __post_init__(self) -> None:
        atexit.register(self.kill_all)

    async def start(self, name: str, argv: Sequence[str]) -> Child:
        log = self.log_dir / f"{name}.log"
        with log.open("ab") as output:
            process = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=output,
                stderr=asyncio.subprocess.STDOUT,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,
                preexec_fn=_prepare_child(),
            )
        child = Child(name, process, log, time.monotonic())
        self.started = [c for c in self.started if c.running]
        self.started.append(child)
        return child

    def kill_all(self) -> None:
        """SIGKILL every child that may still run. It is safe to call twice and outside the event loop."""
        for child in self.started:
            if child.process.returncode is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(child.process.pid, signal.SIGKILL)


def free_port() -> int:
    """Return a TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def wait_until_ready(child: Child, url: str, timeout_s: float = READY_TIMEOUT_S) -> None:
    """Poll ``url`` until it returns 200, and raise with the child's log when it exits or times out."""
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(timeout=1.0, trust_env=False) as client:
        while time.monotonic() < deadline:
            if not child.running:
                raise RuntimeError(f"{child.name} exited before it was ready:\n{child.log_tail()}")
            with contextlib.suppress(httpx.TransportError):
                if (await client.get(url)).status_code == 200:
                    return
            await asyncio.sleep(0.05)
    raise RuntimeError(f"{child.name} was not ready at {url} after {timeout_s:.0f} s:\n{child.log_tail()}")


def _prepare_child() -> Callable[[], None]:
    linux = sys.platform.startswith("linux")
    libc = ctypes.CDLL(None, use_errno=True) if linux else None

    def prepare() -> None:
        # A shell starts background jobs with SIGINT ignored, and children inherit that. The
        # campaign's interrupt fate needs the default, so that Python raises KeyboardInterrupt.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        if libc is not None:
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)

    return prepare
