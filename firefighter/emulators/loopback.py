"""A loopback HTTP server on a free port, started and stopped the same way by each emulator."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self


class LoopbackServer(ABC):
    """Serves `handler()` on `host` in a background thread; usable as a context manager."""

    host: str
    _server: ThreadingHTTPServer | None = None

    @abstractmethod
    def handler(self) -> type[BaseHTTPRequestHandler]:
        """The request handler class bound to this emulator."""

    def start(self) -> Self:
        """Listen on a free port and serve in a background thread."""
        server = ThreadingHTTPServer((self.host, 0), self.handler())
        server.daemon_threads = True
        self._server = server
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The base URL (`http://127.0.0.1:PORT`)."""
        assert self._server is not None, "start() the emulator first"
        return f"http://{self.host}:{self._server.server_address[1]}"
