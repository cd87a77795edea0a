"""The Opsgenie emulator, holding Opsgenie's documented rules.

Alert API (https://docs.opsgenie.com/docs/alert-api): every request carries
`Authorization: GenieKey <key>` or is refused 401 (https://docs.opsgenie.com/docs/authentication);
create, acknowledge and close are asynchronous and answer 202
`{"result": "Request will be processed", "took": …, "requestId": …}`, the outcome readable
at `GET /v2/alerts/requests/{requestId}`; create needs a `message` of at most 130 characters
(422 otherwise), an `alias` of at most 512, a `description` of at most 15000, a priority P1…P5;
an open alert with the same alias is not created twice (its count goes up: alias
de-duplication); `details` is a map of strings (8000 characters at most), `source` at most
100; acknowledge and close name the alert by id, or by alias with `identifierType=alias`,
and are accepted (202) even for an alias with no alert: the request's status then says
"Alert does not exist" (https://docs.opsgenie.com/v1.0/docs/alert-api).

Schedules: `GET /v2/schedules/{name}/timeline?identifierType=name` gives the periods of
each rotation with their recipients; `GET /v2/users/{username}` gives a user's full name.

Webhook integration (https://support.atlassian.com/opsgenie/docs/integrate-opsgenie-with-webhook/):
alert actions are POSTed as `{"action": "Acknowledge", "alert": {"alias", "username", …},
"source": …}` with the custom headers the integration was given.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from firefighter.emulators.common_http import (
    Clock,
    Faults,
    Reply,
    answer,
    post_json,
    read_json,
    wall_clock,
)
from firefighter.emulators.loopback import LoopbackServer

PRIORITIES = ("P1", "P2", "P3", "P4", "P5")


@dataclass
class OgAlert:
    """An alert."""

    id: str
    tiny_id: str
    alias: str
    message: str
    priority: str
    status: str  # open | closed
    acknowledged: bool
    responders: list[dict[str, Any]]
    created_at: datetime
    count: int = 1


@dataclass
class OgPeriod:
    """A rotation period of a schedule."""

    schedule: str
    username: str
    start: datetime
    end: datetime


class OpsgenieEmulator(LoopbackServer):
    """An in-process Opsgenie on 127.0.0.1."""

    def __init__(
        self, *, api_key: str = "og-genie-key", clock: Clock = wall_clock, host: str = "127.0.0.1"
    ) -> None:
        self.api_key = api_key
        self.clock = clock
        self.host = host
        self.faults = Faults(clock)
        self.alerts: list[OgAlert] = []
        self.requests: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, str]] = []
        self.users: dict[str, str] = {}  # username (e-mail) -> full name
        self.periods: list[OgPeriod] = []
        self.webhook_url: str | None = None
        self.webhook_headers: dict[str, str] = {}
        self.webhooks_sent: list[tuple[int, str]] = []
        # Who Opsgenie names for actions taken through the API (the integration).
        self.api_user = "FireFighter"
        self._lock = threading.RLock()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        """The request handler bound to this emulator."""
        return _handler_for(self)

    # ---- what tests and the demo script --------------------------------------------

    def add_user(self, username: str, full_name: str) -> str:
        """A user (Opsgenie's username is the e-mail address)."""
        self.users[username] = full_name
        return username

    def put_on_call(self, schedule: str, username: str, *, hours: float = 24) -> None:
        """`username` is on call in `schedule` from now for `hours`."""
        now = self.clock()
        self.periods.append(OgPeriod(schedule, username, now, now + timedelta(hours=hours)))

    def alert(self, alias: str) -> OgAlert | None:
        """The latest alert with `alias`."""
        found = [a for a in self.alerts if a.alias == alias]
        return found[-1] if found else None

    def actions(self, verb: str) -> list[str]:
        """Paths of accepted calls of one kind (create, acknowledge, close)."""
        return [path for kind, path in self.calls if kind == verb]

    # ---- people acting in Opsgenie (the webhook integration posts the action) ----------

    def acknowledge_as(self, alias: str, username: str) -> tuple[int, str] | None:
        """`username` acknowledges the alert in Opsgenie's app."""
        with self._lock:
            alert = self.alert(alias)
            assert alert is not None, f"no alert {alias}"
            alert.acknowledged = True
        return self._webhook("Acknowledge", alert, username)

    def escalate(self, alias: str, to: str) -> tuple[int, str] | None:
        """Nobody acknowledged in time: the escalation notifies `to` (a username)."""
        with self._lock:
            alert = self.alert(alias)
            assert alert is not None, f"no alert {alias}"
        return self._webhook("EscalateNext", alert, "System", escalated_to=to)

    def close_as(self, alias: str, username: str) -> tuple[int, str] | None:
        """`username` closes the alert in Opsgenie's app."""
        with self._lock:
            alert = self.alert(alias)
            assert alert is not None, f"no alert {alias}"
            alert.status = "closed"
        return self._webhook("Close", alert, username)

    def _webhook(
        self, action: str, alert: OgAlert, username: str, escalated_to: str | None = None
    ) -> tuple[int, str] | None:
        if not self.webhook_url:
            return None
        body: dict[str, Any] = {
            "action": action,
            "alert": {
                "alertId": alert.id,
                "tinyId": alert.tiny_id,
                "alias": alert.alias,
                "message": alert.message,
                "username": username,
                "userId": uuid.uuid5(uuid.NAMESPACE_DNS, username).hex,
                "createdAt": int(alert.created_at.timestamp() * 1000),
                "updatedAt": int(self.clock().timestamp() * 1e9),
                "teams": [r.get("name") for r in alert.responders if r.get("type") == "team"],
                "priority": alert.priority,
            },
            "source": {"name": "", "type": "web"},
            "integrationName": "FireFighter",
        }
        if escalated_to:
            body["escalationNext"] = {"name": escalated_to, "type": "user"}
        sent = post_json(self.webhook_url, json.dumps(body).encode(), dict(self.webhook_headers))
        self.webhooks_sent.append(sent)
        return sent

    # ---- the API --------------------------------------------------------------------

    def _accepted(self, kind: str, path: str, outcome: dict[str, Any]) -> Reply:
        request_id = str(uuid.uuid4())
        self.requests[request_id] = {"action": kind, "isSuccess": True, **outcome}
        self.calls.append((kind, path))
        return 202, {"result": "Request will be processed", "took": 0.01, "requestId": request_id}

    @staticmethod
    def _unprocessable(**errors: str) -> Reply:
        return 422, {
            "message": "Request body is not processable. Please check the errors.",
            "errors": errors,
            "took": 0.0,
            "requestId": str(uuid.uuid4()),
        }

    def create(self, body: Any) -> Reply:
        """POST /v2/alerts."""
        if not isinstance(body, dict):
            return self._unprocessable(message="Message can not be empty.")
        message = str(body.get("message") or "")
        if not message.strip():
            return self._unprocessable(message="Message can not be empty.")
        if len(message) > 130:
            return self._unprocessable(message="Message can not be longer than 130 characters.")
        alias = str(body.get("alias") or "")
        if len(alias) > 512:
            return self._unprocessable(alias="Alias can not be longer than 512 characters.")
        if len(str(body.get("description") or "")) > 15000:
            return self._unprocessable(description="Description can not be longer than 15000.")
        details = body.get("details") or {}
        if not isinstance(details, dict) or not all(isinstance(v, str) for v in details.values()):
            return self._unprocessable(details="Details should be a map of strings.")
        if len(json.dumps(details)) > 8000:
            return self._unprocessable(details="Details can not be longer than 8000 characters.")
        if len(str(body.get("source") or "")) > 100:
            return self._unprocessable(source="Source can not be longer than 100 characters.")
        priority = str(body.get("priority") or "P3")
        if priority not in PRIORITIES:
            return self._unprocessable(priority="Priority should be one of P1, P2, P3, P4, P5.")
        with self._lock:
            existing = next(
                (a for a in self.alerts if alias and a.alias == alias and a.status == "open"), None
            )
            if existing is not None:
                existing.count += 1
                return self._accepted("create", "/v2/alerts", {"alertId": existing.id})
            alert = OgAlert(
                id=str(uuid.uuid4()),
                tiny_id=str(len(self.alerts) + 1),
                alias=alias or str(uuid.uuid4()),
                message=message,
                priority=priority,
                status="open",
                acknowledged=False,
                responders=list(body.get("responders") or []),
                created_at=self.clock(),
            )
            self.alerts.append(alert)
            return self._accepted("create", "/v2/alerts", {"alertId": alert.id})

    def act(self, identifier: str, verb: str, query: dict[str, list[str]]) -> Reply:
        """POST /v2/alerts/{identifier}/acknowledge|close."""
        by = (query.get("identifierType") or ["id"])[0]
        if by not in ("id", "alias", "tiny"):
            return self._unprocessable(identifierType="identifierType should be id, alias or tiny")
        field = {"id": "id", "alias": "alias", "tiny": "tiny_id"}[by]
        with self._lock:
            found = [a for a in self.alerts if getattr(a, field) == identifier]
            if not found:
                # Processed asynchronously: accepted, and the request's status says why not.
                outcome = {"isSuccess": False, "success": False, "status": "Alert does not exist"}
                return self._accepted(verb, f"/v2/alerts/{identifier}/{verb}", outcome)
            alert = found[-1]
            changed = not alert.acknowledged if verb == "acknowledge" else alert.status == "open"
            if verb == "acknowledge":
                alert.acknowledged = True
            else:
                alert.status = "closed"
            reply = self._accepted(verb, f"/v2/alerts/{identifier}/{verb}", {"alertId": alert.id})
        if changed:
            # The webhook integration forwards every alert action, the API's included.
            self._webhook("Acknowledge" if verb == "acknowledge" else "Close", alert, self.api_user)
        return reply

    def get(self, path: str, query: dict[str, list[str]]) -> Reply:
        """GET the request status, a schedule's timeline, a user."""
        with self._lock:
            if path.startswith("/v2/alerts/requests/"):
                found = self.requests.get(path.rsplit("/", 1)[-1])
                if found is None:
                    return 404, {"message": "Request not found", "took": 0.0}
                return 200, {"data": {"status": "Processed", **found}, "took": 0.0}
            if path.startswith("/v2/schedules/") and path.endswith("/timeline"):
                name = unquote(path.removeprefix("/v2/schedules/").removesuffix("/timeline"))
                return 200, self._timeline(name)
            if path.startswith("/v2/users/"):
                username = unquote(path.removeprefix("/v2/users/"))
                if username not in self.users:
                    return 404, {"message": "No user exists with username", "took": 0.0}
                return 200, {"data": {"username": username, "fullName": self.users[username]}}
        return 404, {"message": "Not found", "took": 0.0}

    def _timeline(self, schedule: str) -> dict[str, Any]:
        now = self.clock()
        periods = [p for p in self.periods if p.schedule == schedule and p.end > now]
        return {
            "data": {
                "_parent": {"name": schedule, "enabled": True},
                "startDate": now.isoformat(),
                "endDate": (now + timedelta(days=1)).isoformat(),
                "finalTimeline": {
                    "rotations": [
                        {
                            "name": "Rotation",
                            "periods": [
                                {
                                    "startDate": p.start.isoformat(),
                                    "endDate": p.end.isoformat(),
                                    "type": "default",
                                    "recipient": {"type": "user", "name": p.username},
                                }
                                for p in periods
                            ],
                        }
                    ]
                },
            },
            "took": 0.0,
        }


def _handler_for(emulator: OpsgenieEmulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return

        def _authorised(self) -> bool:
            given = str(self.headers.get("Authorization") or "")
            if given == f"GenieKey {emulator.api_key}":
                return True
            answer(
                self,
                401,
                {"message": "Could not authenticate", "took": 0.0, "requestId": str(uuid.uuid4())},
            )
            return False

        def do_POST(self) -> None:
            refused = emulator.faults.check()
            if refused is not None:
                answer(self, refused, {"message": "Service unavailable", "took": 0.0})
                return
            parts = urlsplit(self.path)
            body, _unreadable = read_json(self)  # an unreadable body has no message: 422
            if not self._authorised():
                return
            segments = parts.path.strip("/").split("/")
            if parts.path == "/v2/alerts":
                answer(self, *emulator.create(body))
            elif (
                len(segments) == 4
                and segments[:2] == ["v2", "alerts"]
                and segments[3] in ("acknowledge", "close")
            ):
                answer(
                    self, *emulator.act(unquote(segments[2]), segments[3], parse_qs(parts.query))
                )
            else:
                answer(self, 404, {"message": "Not found", "took": 0.0})

        def do_GET(self) -> None:
            refused = emulator.faults.check()
            if refused is not None:
                answer(self, refused, {"message": "Service unavailable", "took": 0.0})
                return
            if not self._authorised():
                return
            parts = urlsplit(self.path)
            answer(self, *emulator.get(parts.path, parse_qs(parts.query)))

    return Handler
