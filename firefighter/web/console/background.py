"""A uvicorn server on a thread, for the demo and the tests (until one app serves all)."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn
from fastapi import FastAPI


def free_port(host: str = "127.0.0.1") -> int:
    """A port free on `host` now (the console's URL must be known before it starts)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class UvicornThread:
    """Serve `app` on `host:port` in a daemon thread; `stop()` lets uvicorn shut down cleanly."""

    def __init__(self, app: FastAPI, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.port = port or free_port(host)
        self.url = f"http://{host}:{self.port}"
        config = uvicorn.Config(app, host=host, port=self.port, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self.server.run, name="console", daemon=True)

    def start(self, timeout: float = 10.0) -> UvicornThread:
        """Start serving and wait until the port listens."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"the console did not start on {self.url}")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        """Ask uvicorn to finish and wait for it."""
        self.server.should_exit = True
        self._thread.join(10)
