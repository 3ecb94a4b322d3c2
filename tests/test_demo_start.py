"""make demo's start-up checks: they stop it before any child starts."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from hub.demo import ensure_port_free


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
