"""`make demo`: start the agencies' stand-ins, the notice flow and the hub, on this machine only.

The stand-ins run as their own processes (``python -m simulators serve`` for the court and
the agency databases, ``python -m simulators.bureau`` for the justice bureau), exactly as an
operator would point the hub at real systems; nothing in the hub imports them. The notice
flow runs as the ``hub poll``, ``hub deliver`` and ``hub receipts`` commands that cron would
start, here looping every few seconds. Everything is configured through ``HUB_*`` variables.
"""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

import click
import httpx
import uvicorn

DEMO_DIR = Path(os.environ.get("HUB_DEMO_DIR", "var/demo"))
COURT_PORT = int(os.environ.get("HUB_DEMO_COURT_PORT", "8101"))
BUREAU_PORT = int(os.environ.get("HUB_DEMO_BUREAU_PORT", "8102"))
CYCLE_S = float(os.environ.get("HUB_DEMO_CYCLE_S", "2"))
# The bureau stand-in records an officer's receipt this many seconds after a notice arrives.
AUTO_RECEIPT_S = 3.0
STARTUP_TIMEOUT_S = 120.0
WATCH_INTERVAL_S = 2.0
# Seconds the watcher waits, after a child has died of a signal, for the demo to show it is stopping.
SIGNAL_GRACE_S = 1.0


def wait_until_serving(url: str, process: subprocess.Popen[bytes], timeout_s: float) -> None:
    """Poll ``url`` until it returns 200; fail early if ``process`` exits."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"模拟器进程已退出（退出码 {process.returncode}），演示无法启动。")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"模拟器在 {timeout_s:.0f} 秒内未就绪：{url}")


def ensure_port_free(host: str, port: int, variable: str) -> None:
    """Stop the demo when ``port`` is taken, before another program serves requests meant for it."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the servers do: a port left in TIME_WAIT by the last run is free to use.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise SystemExit(
                f"端口 {host}:{port} 已被占用，请停止占用它的程序或设置 {variable}。"
                f" / Port {host}:{port} is in use: stop what holds it or set {variable}."
            ) from exc


def demo_environment() -> dict[str, str]:
    """Return the ``HUB_*`` variables that point the hub at the demo's stand-ins."""
    folder = DEMO_DIR.resolve()
    return {
        "HUB_COURT_URL": f"http://127.0.0.1:{COURT_PORT}/ws/court",
        "HUB_POLICE_DB_URL": f"sqlite+aiosqlite:///{folder / 'police.sqlite'}",
        "HUB_PRISON_DB_URL": f"sqlite+aiosqlite:///{folder / 'prison.sqlite'}",
        "HUB_CORRECTION_DB_URL": f"sqlite+aiosqlite:///{folder / 'correction.sqlite'}",
        "HUB_BUREAU_URL": f"http://127.0.0.1:{BUREAU_PORT}/soap",
    }


def start(arguments: list[str], log: IO[bytes] | None = None) -> subprocess.Popen[bytes]:
    """Start ``python -m ARGUMENTS`` with the demo's environment."""
    return subprocess.Popen(  # noqa: S603 - fixed argument list, no shell
        [sys.executable, "-m", *arguments], stdout=log, stderr=log if log else None
    )


def start_stand_ins() -> list[subprocess.Popen[bytes]]:
    court = start(["simulators", "serve", "--dir", str(DEMO_DIR), "--court-port", str(COURT_PORT)])
    bureau = start(
        [
            "simulators.bureau",
            "--db",
            str(DEMO_DIR / "bureau.sqlite"),
            "--port",
            str(BUREAU_PORT),
            "--auto-receipt-s",
            str(AUTO_RECEIPT_S),
        ]
    )
    wait_until_serving(f"http://127.0.0.1:{COURT_PORT}/ws/court?wsdl", court, STARTUP_TIMEOUT_S)
    wait_until_serving(f"http://127.0.0.1:{BUREAU_PORT}/soap?wsdl", bureau, STARTUP_TIMEOUT_S)
    return [court, bureau]


def run_hub_command(arguments: list[str], log: IO[bytes]) -> None:
    subprocess.run([sys.executable, "-m", "hub", *arguments], check=True, stdout=log, stderr=log)  # noqa: S603


def build_person_index(log: IO[bytes]) -> None:
    """Feed the person index from every agency and link it, as the nightly cron run would."""
    for agency in ("police", "court", "prison", "correction"):
        run_hub_command(["poll-identity", agency], log)
    run_hub_command(["relink"], log)


def start_notice_flow(log: IO[bytes]) -> list[subprocess.Popen[bytes]]:
    """Loop the poller, the deliverer and the receipt reader."""
    cycle = str(CYCLE_S)
    return [
        start(["hub", "poll", "court", "--skip-history", "--loop", cycle], log),
        start(["hub", "deliver", "--loop", cycle], log),
        start(["hub", "receipts", "--loop", cycle], log),
    ]


def watch_children(
    children: list[subprocess.Popen[bytes]],
    stop: threading.Event,
    stopping: Callable[[], bool] = lambda: False,
) -> None:
    """Print one line when a stand-in or a poll loop exits while the demo runs.

    The hub keeps serving without it (that agency's source reports UNAVAILABLE), so the
    line is the only sign in the demo's terminal. A child ended by a signal while the demo
    is ``stopping`` got the operator's Ctrl+C or SIGTERM to the whole group, so nothing is
    printed for it.
    """
    reported: set[int] = set()
    while not stop.wait(WATCH_INTERVAL_S):
        for child in children:
            code = child.poll()
            if code is not None and child.pid not in reported:
                # The demo's own server may see the same signal a moment later than its child.
                if code < 0 and (stop.wait(SIGNAL_GRACE_S) or stopping()):
                    return
                reported.add(child.pid)
                words = [str(part) for part in child.args[2:4]]  # type: ignore[index]
                command = " ".join(word for word in words if not word.startswith("-"))
                print(
                    f"演示子进程已退出（{command}，退出码 {code}），请重新运行 make demo。"
                    f" / A demo process exited ({command}, status {code}); run make demo again.",
                    flush=True,
                )


def exit_on_signal(signum: int, _frame: object) -> None:
    """Turn SIGTERM or SIGHUP into SystemExit, so ``main`` stops its child processes on the way out.

    Python's default action for these signals ends the process at once, leaving the
    stand-ins and pollers running. uvicorn takes over SIGTERM while it serves, and after its
    shutdown raises the signal again, which lands here. A stop the operator asked for is a
    clean exit (status 0), as Ctrl+C is, so ``make demo`` reports no error for it.
    """
    raise SystemExit(0)


def announce_when_listening(server: uvicorn.Server, lines: list[str], stop: threading.Event) -> None:
    """Print ``lines`` once ``server`` accepts connections, so that the printed address already works."""
    while not server.started:
        if stop.wait(0.05):
            return
    for line in lines:
        print(line, flush=True)


def banner(host: str, port: int) -> list[str]:
    """Return the lines that tell a newcomer where everything runs and how to get a token."""
    return [
        f"政法数据交换枢纽演示：http://{host}:{port}/graphql （Ctrl+C 停止）",
        f"网页控制台：http://{host}:{port}/console/",
        f"法院 SOAP 模拟服务：http://127.0.0.1:{COURT_PORT}/ws/court?wsdl",
        f"司法局接收模拟服务：http://127.0.0.1:{BUREAU_PORT}/soap?wsdl",
        f"通知书流转日志：{DEMO_DIR / 'notices.log'}",
        "签发演示令牌：.venv/bin/hub token --role judge --unit court:513400",
        f"另一终端运行 hub poll court 等命令前，先载入模拟服务地址：. {DEMO_DIR / 'demo.env'}",
    ]


def write_environment_file(environment: dict[str, str]) -> Path:
    """Write ``environment`` as ``export`` lines to ``DEMO_DIR/demo.env``, for a shell to source.

    Commands run by hand in a second terminal (``hub poll court``, ``hub poll-identity``)
    need the same stand-in addresses as the demo's own loops.
    """
    path = DEMO_DIR / "demo.env"
    lines = [f"export {name}={shlex.quote(value)}" for name, value in environment.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def main() -> None:
    signal.signal(signal.SIGTERM, exit_on_signal)
    signal.signal(signal.SIGHUP, exit_on_signal)
    DEMO_DIR.mkdir(parents=True, exist_ok=True)
    for name, value in demo_environment().items():
        os.environ.setdefault(name, value)
    write_environment_file({name: os.environ[name] for name in demo_environment()})
    # Checked here, before any child starts, so a bad value is reported on this terminal
    # rather than only in the notice log.
    from hub.settings_load import load_settings, warn_unknown_variables

    try:
        settings = load_settings()
    except click.ClickException as exc:
        print(exc.format_message(), file=sys.stderr, flush=True)
        raise SystemExit(1) from exc
    warn_unknown_variables()
    ensure_port_free("127.0.0.1", COURT_PORT, "HUB_DEMO_COURT_PORT")
    ensure_port_free("127.0.0.1", BUREAU_PORT, "HUB_DEMO_BUREAU_PORT")
    ensure_port_free(settings.host, settings.port, "HUB_PORT")

    children: list[subprocess.Popen[bytes]] = []
    stopping = threading.Event()
    with open(DEMO_DIR / "notices.log", "ab") as notice_log:
        try:
            children += start_stand_ins()
            run_hub_command(["migrate"], notice_log)
            print("正在建立人员索引…", flush=True)
            build_person_index(notice_log)
            children += start_notice_flow(notice_log)

            servers: list[uvicorn.Server] = []
            watcher = threading.Thread(
                target=watch_children,
                args=(children, stopping, lambda: any(server.should_exit for server in servers)),
                daemon=True,
            )
            watcher.start()
            from hub.app import create_app
            from hub.logging import configure_logging

            # The same masked, one-line-per-request log as `hub serve`, not uvicorn's own.
            configure_logging(settings.log_level)
            app = create_app(settings, serving=True)
            config = uvicorn.Config(
                app, host=settings.host, port=settings.port, log_config=None, access_log=False
            )
            server = uvicorn.Server(config)
            servers.append(server)
            lines = banner(settings.host, settings.port)
            threading.Thread(
                target=announce_when_listening, args=(server, lines, stopping), daemon=True
            ).start()
            try:
                server.run()
            except KeyboardInterrupt:
                pass
            if not server.started:
                print(
                    "枢纽未能启动，原因见上方日志。/ The hub did not start; the log above says why.",
                    flush=True,
                )
                raise SystemExit(3)  # uvicorn's status for a failed start
        finally:
            stopping.set()
            for child in children:
                child.terminate()
            for child in children:
                child.wait(timeout=10)
            print("演示已停止。/ The demo has stopped.", flush=True)


if __name__ == "__main__":
    main()
