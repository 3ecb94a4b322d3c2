"""make demo's start-up checks, which stop it before any child starts, and its banner and stop."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from hub import demo
from hub.demo import (
    BUREAU_PORT,
    COURT_PORT,
    announce_when_listening,
    banner,
    demo_environment,
    ensure_port_free,
    exit_on_signal,
    write_environment_file,
)


def test_taken_port_stops_the_demo_naming_the_variable() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]

        with pytest.raises(SystemExit) as stopped:
            ensure_port_free("127.0.0.1", port, "HUB_DEMO_COURT_PORT")

    assert f"端口 127.0.0.1:{port} 已被占用" in str(stopped.value)
    assert "HUB_DEMO_COURT_PORT" in str(stopped.value)


def test_free_port_passes() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    ensure_port_free("127.0.0.1", port, "HUB_PORT")


def test_invalid_setting_stops_the_demo_before_any_child(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "hub.demo"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HUB_PORT": "abc", "HUB_DEMO_DIR": str(tmp_path)},
        timeout=60,
        check=False,
    )

    assert result.returncode == 1
    assert "配置无效：HUB_PORT 应为整数" in result.stderr
    assert not (tmp_path / "notices.log").exists()


def test_announce_waits_until_the_hub_listens(capsys: pytest.CaptureFixture[str]) -> None:
    server = SimpleNamespace(started=False)
    stop = threading.Event()
    announcer = threading.Thread(target=announce_when_listening, args=(server, ["ready line"], stop))
    announcer.start()

    announcer.join(timeout=0.3)
    assert announcer.is_alive()
    assert "ready line" not in capsys.readouterr().out
    server.started = True
    announcer.join(timeout=5)

    assert not announcer.is_alive()
    assert capsys.readouterr().out == "ready line\n"


def test_announce_skips_banner_after_stop(capsys: pytest.CaptureFixture[str]) -> None:
    stop = threading.Event()
    stop.set()

    announce_when_listening(SimpleNamespace(started=False), ["ready line"], stop)  # type: ignore[arg-type]

    assert capsys.readouterr().out == ""


def test_banner_names_every_address_a_newcomer_needs() -> None:
    text = "\n".join(banner("127.0.0.1", 8000))

    assert "http://127.0.0.1:8000/graphql" in text
    assert "http://127.0.0.1:8000/console/" in text
    assert f":{COURT_PORT}/ws/court" in text
    assert f":{BUREAU_PORT}/soap" in text
    assert "hub token" in text
    assert "demo.env" in text


def test_demo_env_file_sources_in_shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo, "DEMO_DIR", tmp_path)
    environment = {**demo_environment(), "HUB_COURT_URL": "http://127.0.0.1:8101/ws/court?a=1&b=2"}

    path = write_environment_file(environment)
    printed = subprocess.run(
        ["sh", "-c", f'. "{path}"; env'], capture_output=True, text=True, check=True, timeout=30
    ).stdout

    for name, value in environment.items():
        assert f"{name}={value}" in printed.splitlines()


def test_exit_on_signal_exits_cleanly() -> None:
    with pytest.raises(SystemExit) as stopped:
        exit_on_signal(signal.SIGTERM, None)

    assert stopped.value.code == 0


def _exited(code: int) -> subprocess.Popen[bytes]:
    """Start a child that exits with ``code``, or is killed by signal ``-code``, and wait for it."""
    if code < 0:
        script = f"import os; os.kill(os.getpid(), {-code})"
    else:
        script = f"raise SystemExit({code})"
    child = subprocess.Popen([sys.executable, "-c", script, "simulators", "serve"])
    child.wait(timeout=30)
    return child


@pytest.mark.parametrize(
    ("code", "stopping", "printed"),
    [(1, False, True), (-signal.SIGTERM, False, True), (-signal.SIGTERM, True, False), (1, True, True)],
)
def test_watcher_reports_unexpected_exits_only(
    code: int,
    stopping: bool,
    printed: bool,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(demo, "WATCH_INTERVAL_S", 0.01)
    monkeypatch.setattr(demo, "SIGNAL_GRACE_S", 0.01)
    stop = threading.Event()
    watcher = threading.Thread(target=demo.watch_children, args=([_exited(code)], stop, lambda: stopping))
    watcher.start()
    watcher.join(timeout=0.5)
    stop.set()
    watcher.join(timeout=5)

    out = capsys.readouterr().out
    assert ("A demo process exited" in out) is printed
    if printed:
        assert f"status {code}" in out
