"""A real uvicorn server on 127.0.0.1 in a background thread, for tests over real sockets."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

import uvicorn

STARTUP_TIMEOUT_S = 10.0


class ServerThread:
    """Serve ``app`` with uvicorn on a free loopback port, in its own thread and event loop.

    ``lifespan`` is uvicorn's setting: "on" runs the app's start-up and shut-down, "off"
    skips them (the stand-ins need neither). ``websockets`` serves WebSocket routes too.
    """

    def __init__(
        self, app: Any, *, lifespan: Literal["on", "off", "auto"] = "on", websockets: bool = False
    ) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted sockets inherit this; without it Nagle and delayed ACKs add 40 ms per call.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(("127.0.0.1", 0))
        config = uvicorn.Config(
            app,
            lifespan=lifespan,
            log_level="warning",
            ws="auto" if websockets else "none",
            timeout_graceful_shutdown=1,
        )
        self.socket = sock
        self.port: int = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [sock]}, name="uvicorn-test-server", daemon=True
        )

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"the test server did not start within {STARTUP_TIMEOUT_S:.0f} s")
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=STARTUP_TIMEOUT_S)
        self.socket.close()


@contextmanager
def serve_in_thread(app: Any) -> Iterator[str]:
    """Serve ``app`` on a free loopback port and yield its base URL; stop it on exit."""
    server = ServerThread(app, lifespan="auto", websockets=True)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()
