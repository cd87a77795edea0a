"""A loopback TCP proxy that can stop answering, as a database behind a network partition.

`stall()` keeps every connection (old and new) open but forwards nothing, in either
direction: the client's bytes are accepted and never answered, as when PostgreSQL is cut
off by a partition (no reset, no refusal, only silence). `resume()` delivers what was held
and forwards again.
"""

from __future__ import annotations

import contextlib
import socket
import threading


class TcpProxy:
    """Forward 127.0.0.1:`port` to `upstream` until told to stall."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._flowing = threading.Event()
        self._flowing.set()
        self._closed = threading.Event()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, name="tcp-proxy", daemon=True)

    def start(self) -> TcpProxy:
        """Start accepting; returns self."""
        self._thread.start()
        return self

    def stall(self) -> None:
        """Stop forwarding: connections stay open, nothing gets through."""
        self._flowing.clear()

    def resume(self) -> None:
        """Forward again, starting with what was held."""
        self._flowing.set()

    def stop(self) -> None:
        """Close the listener and every connection."""
        self._closed.set()
        self._flowing.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            for sock in self._sockets:
                # shutdown() wakes a pump blocked in recv(); close() alone would leave the
                # connection open until that recv returned, and the server's locks held.
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    sock.close()

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=5)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, server]
            for source, target in ((client, server), (server, client)):
                threading.Thread(
                    target=self._pump, args=(source, target), name="tcp-pump", daemon=True
                ).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                # Held here while stalled: read by the kernel, never answered.
                self._flowing.wait()
                if not data or self._closed.is_set():
                    break
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
