"""`make demo`: start the agencies' stand-ins, then the hub, on this machine only.

The stand-ins run as their own process (``python -m simulators serve``), exactly as an
operator would point the hub at real systems; nothing in the hub imports them. The hub
is configured through the same ``HUB_*`` variables as in production.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import uvicorn

DEMO_DIR = Path(os.environ.get("HUB_DEMO_DIR", "var/demo"))
COURT_PORT = int(os.environ.get("HUB_DEMO_COURT_PORT", "8101"))
STARTUP_TIMEOUT_S = 120.0


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


def demo_environment() -> dict[str, str]:
    """Return the ``HUB_*`` variables that point the hub at the demo's stand-ins."""
    folder = DEMO_DIR.resolve()
    return {
        "HUB_COURT_URL": f"http://127.0.0.1:{COURT_PORT}/ws/court",
        "HUB_POLICE_DB_URL": f"sqlite+aiosqlite:///{folder / 'police.sqlite'}",
        "HUB_PRISON_DB_URL": f"sqlite+aiosqlite:///{folder / 'prison.sqlite'}",
        "HUB_CORRECTION_DB_URL": f"sqlite+aiosqlite:///{folder / 'correction.sqlite'}",
    }


def main() -> None:
    simulators = subprocess.Popen(  # noqa: S603 - fixed argument list, no shell
        [sys.executable, "-m", "simulators", "serve", "--dir", str(DEMO_DIR), "--court-port", str(COURT_PORT)]
    )
    try:
        wait_until_serving(f"http://127.0.0.1:{COURT_PORT}/ws/court?wsdl", simulators, STARTUP_TIMEOUT_S)
        for name, value in demo_environment().items():
            os.environ.setdefault(name, value)

        from hub.settings import Settings

        settings = Settings()
        print(f"政法数据交换枢纽演示：http://{settings.host}:{settings.port}/graphql （Ctrl+C 停止）", flush=True)
        uvicorn.run("hub.app:create_app", factory=True, host=settings.host, port=settings.port, log_level="info")
    finally:
        simulators.terminate()
        simulators.wait(timeout=10)


if __name__ == "__main__":
    main()
