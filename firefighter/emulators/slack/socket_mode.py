"""Slack's side of Socket Mode: one-use WebSocket URLs, envelopes, acknowledgements.

As Slack documents it: the app calls `apps.connections.open` with its app-level token and
gets a `wss://…/link/?ticket=…` URL that works once; on connecting it receives
`{"type": "hello"}`; every request arrives as an envelope (`events_api`, `slash_commands`,
`interactive`) that the app acknowledges with `{"envelope_id": …}` (plus a `payload` when the
envelope `accepts_response_payload`); Slack sends `{"type": "disconnect", "reason": …}` with
`warning` shortly before it refreshes a connection and `refresh_requested` when it does.
An envelope not acknowledged on a connection that went away is sent again on the next one,
with `retry_attempt` counting up, so nothing is lost while the app reconnects.

The WebSocket framing is the `websockets` library's (sync server); this module only holds
Slack's rules.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlparse

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

KINDS = ("events_api", "slash_commands", "interactive")


@dataclass
class Envelope:
    """One request on its way to the app, until it is acknowledged."""

    envelope_id: str
    kind: str
    payload: dict[str, Any]
    accepts_response_payload: bool
    retry_attempt: int = 0
    acked: threading.Event = field(default_factory=threading.Event)
    response: dict[str, Any] | None = None
    deliveries: int = 0

    def frame(self) -> str:
        """The JSON text Slack sends for this envelope."""
        message: dict[str, Any] = {
            "envelope_id": self.envelope_id,
            "type": self.kind,
            "payload": self.payload,
            "accepts_response_payload": self.accepts_response_payload,
        }
        if self.kind == "events_api":
            message["retry_attempt"] = self.retry_attempt
            message["retry_reason"] = "timeout" if self.retry_attempt else ""
        return json.dumps(message)


class SocketModeServer:
    """The WebSocket end of Socket Mode, started on a free loopback port."""

    def __init__(self, *, app_id: str = "A0FIREFIGHT", host: str = "127.0.0.1") -> None:
        self.app_id = app_id
        self.host = host
        self._lock = threading.Condition()
        self._tickets: set[str] = set()
        self._connections: list[ServerConnection] = []
        self._pending: dict[str, Envelope] = {}
        self.hellos = 0
        self.refused_tickets = 0
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    # -- life --------------------------------------------------------------------------

    def start(self) -> SocketModeServer:
        """Listen; returns self."""
        self._server = serve(self._handle, self.host, 0)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="socket-mode", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close every connection and stop listening."""
        self.drop(reason=None)
        if self._server is not None:
            self._server.shutdown()
        if self._thread is not None:
            self._thread.join(5)

    @property
    def port(self) -> int:
        """The port the WebSocket server listens on."""
        assert self._server is not None, "start() first"
        return int(self._server.socket.getsockname()[1])

    # -- what apps.connections.open hands out ------------------------------------------

    def new_url(self) -> str:
        """A URL that admits one connection (Slack's tickets are single-use)."""
        ticket = secrets.token_hex(12)
        with self._lock:
            self._tickets.add(ticket)
        return f"ws://{self.host}:{self.port}/link/?ticket={ticket}&app_id={self.app_id}"

    @property
    def connections(self) -> int:
        """Connections open now."""
        with self._lock:
            return len(self._connections)

    def wait_connected(self, count: int = 1, timeout: float = 10.0) -> None:
        """Block until at least `count` connections are open; TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self._connections) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{len(self._connections)} Socket Mode connection(s) open")
                self._lock.wait(remaining)

    # -- sending requests ----------------------------------------------------------------

    def send(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool,
        timeout: float = 10.0,
    ) -> Envelope:
        """Deliver a request and wait for its acknowledgement (`acked` is unset on timeout)."""
        if kind not in KINDS:
            raise ValueError(f"unknown envelope type {kind!r}")
        envelope = Envelope(str(uuid.uuid4()), kind, payload, accepts_response_payload)
        with self._lock:
            self._pending[envelope.envelope_id] = envelope
        deadline = time.monotonic() + timeout
        while not envelope.acked.is_set():
            connection = self._next_connection(deadline)
            if connection is None:
                break
            with self._lock:
                if envelope.deliveries:
                    envelope.retry_attempt += 1
                envelope.deliveries += 1
            try:
                connection.send(envelope.frame())
            except ConnectionClosed:
                continue
            # Wait for the ack, or for that connection to go (then send it on the next one).
            while not envelope.acked.wait(0.05):
                if time.monotonic() >= deadline or not self._is_open(connection):
                    break
            if time.monotonic() >= deadline:
                break
        with self._lock:
            self._pending.pop(envelope.envelope_id, None)
        return envelope

    def _next_connection(self, deadline: float) -> ServerConnection | None:
        with self._lock:
            while not self._connections:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._lock.wait(remaining)
            # The newest connection: an app that is refreshing reads the new one first.
            return self._connections[-1]

    def _is_open(self, connection: ServerConnection) -> bool:
        with self._lock:
            return connection in self._connections

    # -- disconnects -------------------------------------------------------------------

    def warn(self) -> None:
        """Tell every connection that it will be refreshed soon (reason `warning`)."""
        self._broadcast({"type": "disconnect", "reason": "warning", "debug_info": self._debug()})

    def drop(self, reason: str | None = "refresh_requested") -> None:
        """Close every connection, saying `disconnect` with `reason` first (None: abruptly)."""
        if reason is not None:
            self._broadcast({"type": "disconnect", "reason": reason, "debug_info": self._debug()})
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            connection.close()
        with self._lock:
            for connection in connections:
                if connection in self._connections:
                    self._connections.remove(connection)
            self._lock.notify_all()

    def _broadcast(self, message: dict[str, Any]) -> None:
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.send(json.dumps(message))
            except ConnectionClosed:
                continue

    def _debug(self) -> dict[str, Any]:
        return {"host": f"emulator-{self.host}", "approximate_connection_time": 18060}

    # -- one connection ----------------------------------------------------------------

    def _handle(self, connection: ServerConnection) -> None:
        request = connection.request
        query = parse_qs(urlparse(request.path if request is not None else "").query)
        ticket = (query.get("ticket") or [""])[0]
        with self._lock:
            valid = ticket in self._tickets
            self._tickets.discard(ticket)
        if not valid:
            # A URL is good for one connection; a second use is refused as Slack does.
            with self._lock:
                self.refused_tickets += 1
            connection.close(code=1008, reason="invalid ticket")
            return
        with self._lock:
            self._connections.append(connection)
            self.hellos += 1
            count = len(self._connections)
            self._lock.notify_all()
        connection.send(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": count,
                    "debug_info": self._debug(),
                    "connection_info": {"app_id": self.app_id},
                }
            )
        )
        try:
            for raw in connection:
                self._on_message(raw)
        except ConnectionClosed:
            pass
        finally:
            with self._lock:
                if connection in self._connections:
                    self._connections.remove(connection)
                self._lock.notify_all()

    def _on_message(self, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            return
        if not isinstance(message, dict):
            return
        envelope_id = message.get("envelope_id")
        with self._lock:
            envelope = self._pending.get(str(envelope_id)) if envelope_id else None
        if envelope is None:
            return
        payload = message.get("payload")
        if isinstance(payload, dict) and envelope.accepts_response_payload:
            envelope.response = payload
        envelope.acked.set()
