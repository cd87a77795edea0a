"""The PagerDuty emulator, holding PagerDuty's documented rules.

Events API v2 (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/ and
.../events-api-v2/overview/): `POST /v2/enqueue` answers 202
`{"status": "success", "message": "Event processed", "dedup_key": …}`; 400 `invalid event`
with `errors` for a routing key that is not 32 characters, an unknown `event_action`, a
trigger without `payload.summary`/`source`/`severity` (or a severity outside critical, error,
warning, info), a summary over 1024 or a dedup_key over 255 characters; bodies over 512 KB;
429 past about 120 events a minute per routing key over a trailing 60 s window
(https://developer.pagerduty.com/docs/events-api-v2/rate-limits/). `dedup_key` semantics:
a trigger on an open alert with the same key (and routing key) adds to it; acknowledge and
resolve apply to the open alert of that key and routing key, and are dropped otherwise; a
trigger after a resolve opens a new incident.

REST API: `Authorization: Token token=…` or 401
(https://developer.pagerduty.com/docs/rest-api-v2/authentication/); an `Accept` header that
names a version must name `application/vnd.pagerduty+json;version=2`
(https://developer.pagerduty.com/docs/rest-api-v2/versioning/). `GET /oncalls`,
`GET /users/{id}`, `GET /incidents`.

v3 webhooks are signed `X-PagerDuty-Signature: v1=<hex HMAC-SHA256 of the body>`
(https://developer.pagerduty.com/docs/verifying-signatures).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import uuid
from collections import deque
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

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
from firefighter.emulators.pagerduty.model import OnCallEntry, PdIncident, PdUser

EVENTS_PER_MINUTE = 120
MAX_EVENT_BYTES = 512 * 1024
SEVERITIES = ("critical", "error", "warning", "info")
ACCEPT = "application/vnd.pagerduty+json;version=2"


def _invalid(*errors: str) -> Reply:
    return 400, {
        "status": "invalid event",
        "message": "Event object is invalid",
        "errors": list(errors),
    }


class PagerDutyEmulator(LoopbackServer):
    """An in-process PagerDuty on 127.0.0.1 (one URL serves both the Events and REST APIs)."""

    def __init__(
        self, *, token: str = "pd-rest-token", clock: Clock = wall_clock, host: str = "127.0.0.1"
    ) -> None:
        self.token = token
        self.clock = clock
        self.host = host
        self.faults = Faults(clock)
        self.services: dict[str, tuple[str, str]] = {}  # routing key -> (name, policy id)
        self.users: dict[str, PdUser] = {}
        self.oncalls: list[OnCallEntry] = []
        self.incidents: list[PdIncident] = []
        self.events: list[dict[str, Any]] = []
        self.webhook_url: str | None = None
        self.webhook_secret: str | None = None
        self.webhooks_sent: list[tuple[int, str]] = []
        self._recent: dict[str, deque[datetime]] = {}
        self._lock = threading.RLock()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        """The request handler bound to this emulator."""
        return _handler_for(self)

    # ---- what tests and the demo script --------------------------------------------

    def add_user(self, name: str, email: str) -> PdUser:
        """A PagerDuty user."""
        user = PdUser(f"PU{len(self.users) + 1:05d}", name, email)
        self.users[user.id] = user
        return user

    def add_service(self, name: str, policy: str, routing_key: str | None = None) -> str:
        """A service with an Events API v2 integration; returns its 32-character routing key."""
        key = routing_key or uuid.uuid4().hex
        self.services[key] = (name, policy)
        return key

    def put_on_call(
        self, policy: str, user: PdUser, *, level: int = 1, hours: float = 24, since: float = 0
    ) -> None:
        """`user` is on call for `policy` at `level`, from `since` hours ago until `hours` on."""
        now = self.clock()
        start, end = now - timedelta(hours=since), now + timedelta(hours=hours)
        self.oncalls.append(OnCallEntry(policy, user.id, level, start, end))

    def events_for(self, action: str | None = None) -> list[dict[str, Any]]:
        """Events accepted, optionally of one `event_action`."""
        return [e for e in self.events if action is None or e.get("event_action") == action]

    def incident(self, dedup_key: str) -> PdIncident | None:
        """The latest incident of `dedup_key`."""
        found = [i for i in self.incidents if i.dedup_key == dedup_key]
        return found[-1] if found else None

    # ---- people acting in PagerDuty (sends the v3 webhook if one is subscribed) ---------

    def acknowledge_as(self, dedup_key: str, user: PdUser) -> tuple[int, str] | None:
        """`user` acknowledges the incident in PagerDuty's app."""
        with self._lock:
            incident = self.incident(dedup_key)
            assert incident is not None, f"no incident for {dedup_key}"
            incident.status = "acknowledged"
        return self._webhook("incident.acknowledged", incident, agent=user)

    def resolve_as(self, dedup_key: str, user: PdUser) -> tuple[int, str] | None:
        """`user` resolves the incident in PagerDuty's app."""
        with self._lock:
            incident = self.incident(dedup_key)
            assert incident is not None, f"no incident for {dedup_key}"
            incident.status = "resolved"
        return self._webhook("incident.resolved", incident, agent=user)

    def escalate(self, dedup_key: str) -> tuple[int, str] | None:
        """Nobody acknowledged in time: the escalation policy's next level is paged."""
        with self._lock:
            incident = self.incident(dedup_key)
            assert incident is not None, f"no incident for {dedup_key}"
            incident.level += 1
        return self._webhook("incident.escalated", incident, agent=None)

    def assignees(self, incident: PdIncident) -> list[PdUser]:
        """Who the incident pages now: the on-call of its policy at its level."""
        _name, policy = self.services[incident.routing_key]
        now = self.clock()
        return [
            self.users[o.user]
            for o in self.oncalls
            if o.policy == policy and o.level == incident.level and o.start <= now < o.end
        ]

    def _webhook(
        self, event_type: str, incident: PdIncident, agent: PdUser | None
    ) -> tuple[int, str] | None:
        if not self.webhook_url:
            return None
        body = json.dumps(self.webhook_body(event_type, incident, agent)).encode()
        headers = {"X-PagerDuty-Signature": self.sign(body)} if self.webhook_secret else {}
        sent = post_json(self.webhook_url, body, headers)
        self.webhooks_sent.append(sent)
        return sent

    def sign(self, body: bytes) -> str:
        """The v1 signature PagerDuty sends for `body`."""
        secret = (self.webhook_secret or "").encode()
        return "v1=" + hmac.new(secret, body, hashlib.sha256).hexdigest()

    def webhook_body(
        self, event_type: str, incident: PdIncident, agent: PdUser | None
    ) -> dict[str, Any]:
        """A v3 webhook envelope for `incident` (https://developer.pagerduty.com/docs/webhooks-overview)."""
        name, _policy = self.services[incident.routing_key]
        return {
            "event": {
                "id": uuid.uuid4().hex[:14].upper(),
                "event_type": event_type,
                "resource_type": "incident",
                "occurred_at": self.clock().isoformat(),
                "agent": self._reference(agent) if agent else None,
                "data": self._incident_json(incident, name),
            }
        }

    def _reference(self, user: PdUser) -> dict[str, Any]:
        return {
            "id": user.id,
            "type": "user_reference",
            "summary": user.name,
            "html_url": f"{self.url}/users/{user.id}",
            "self": f"{self.url}/users/{user.id}",
        }

    def _user_json(self, user: PdUser) -> dict[str, Any]:
        return {**self._reference(user), "name": user.name, "email": user.email, "type": "user"}

    def _incident_json(self, incident: PdIncident, service: str) -> dict[str, Any]:
        return {
            "id": incident.id,
            "type": "incident",
            "number": incident.number,
            "title": incident.title,
            "status": incident.status,
            "incident_key": incident.dedup_key,
            "urgency": "high",
            "created_at": incident.created_at.isoformat(),
            "html_url": f"{self.url}/incidents/{incident.id}",
            "service": {"id": f"PS{incident.routing_key[:5]}", "summary": service},
            "assignees": [self._reference(u) for u in self.assignees(incident)],
            "escalation_level": incident.level,
        }

    # ---- Events API v2 --------------------------------------------------------------

    def enqueue(self, raw_size: int, event: Any) -> Reply:
        """POST /v2/enqueue."""
        if raw_size > MAX_EVENT_BYTES:
            return _invalid("Event object is larger than 512 KB")
        if not isinstance(event, dict):
            return _invalid("Event object must be a JSON object")
        routing_key = str(event.get("routing_key") or "")
        if len(routing_key) != 32:
            return _invalid("Length of 'routing_key' is incorrect (should be 32 characters)")
        action = event.get("event_action")
        if action not in ("trigger", "acknowledge", "resolve"):
            return _invalid(
                "'event_action' is missing or invalid (trigger, acknowledge or resolve)"
            )
        dedup_key = event.get("dedup_key")
        if dedup_key is not None and (not isinstance(dedup_key, str) or len(dedup_key) > 255):
            return _invalid("'dedup_key' must be a string of at most 255 characters")
        if action == "trigger":
            problems = self._trigger_problems(event.get("payload"))
            if problems:
                return _invalid(*problems)
        elif not dedup_key:
            return _invalid("'dedup_key' is required for acknowledge and resolve events")
        with self._lock:
            if self._throttled(routing_key):
                return 429, {
                    "status": "throttle event",
                    "message": "Requests for this integration are arriving too quickly. "
                    "Please retry later.",
                }
            key = str(dedup_key or uuid.uuid4().hex)
            self.events.append({**event, "dedup_key": key})
            changed = self._apply(routing_key, str(action), key, event)
        if changed is not None:
            # A subscription hears of every incident change, the API's included.
            self._webhook(f"incident.{changed.status}", changed, agent=None)
        return 202, {"status": "success", "message": "Event processed", "dedup_key": key}

    @staticmethod
    def _trigger_problems(payload: Any) -> list[str]:
        if not isinstance(payload, dict):
            return ["'payload' is missing or is not an object"]
        problems = [
            f"'payload.{name}' is missing or blank"
            for name in ("summary", "source", "severity")
            if not str(payload.get(name) or "").strip()
        ]
        if payload.get("severity") and payload["severity"] not in SEVERITIES:
            problems.append("'payload.severity' must be one of critical, error, warning, info")
        if len(str(payload.get("summary") or "")) > 1024:
            problems.append("'payload.summary' is longer than 1024 characters")
        return problems

    def _throttled(self, routing_key: str) -> bool:
        now = self.clock()
        recent = self._recent.setdefault(routing_key, deque())
        while recent and recent[0] <= now - timedelta(seconds=60):
            recent.popleft()
        if len(recent) >= EVENTS_PER_MINUTE:
            return True
        recent.append(now)
        return False

    def _apply(
        self, routing_key: str, action: str, key: str, event: dict[str, Any]
    ) -> PdIncident | None:
        """Apply an accepted event; the incident whose status it changed, if any."""
        open_one = next(
            (
                i
                for i in reversed(self.incidents)
                if i.dedup_key == key and i.routing_key == routing_key and i.status != "resolved"
            ),
            None,
        )
        if action == "trigger":
            if open_one is not None:
                open_one.triggers += 1
                return None
            if routing_key not in self.services:
                return None  # accepted, as PagerDuty does, then dropped: no such integration
            payload = event["payload"]
            self.incidents.append(
                PdIncident(
                    id=f"Q{uuid.uuid4().hex[:12].upper()}",
                    number=len(self.incidents) + 1,
                    routing_key=routing_key,
                    dedup_key=key,
                    title=str(payload["summary"]),
                    severity=str(payload["severity"]),
                    status="triggered",
                    created_at=self.clock(),
                    links=list(event.get("links") or []),
                )
            )
            return self.incidents[-1]
        if open_one is None:
            return None
        status = "acknowledged" if action == "acknowledge" else "resolved"
        if open_one.status == status:
            return None
        open_one.status = status
        open_one.log.append(action)
        return open_one

    # ---- REST API -------------------------------------------------------------------

    def rest(self, path: str, query: dict[str, list[str]], headers: Any) -> Reply:
        """GET /oncalls, /users/{id}, /incidents."""
        authorization = str(headers.get("Authorization") or "")
        if authorization != f"Token token={self.token}":
            return 401, {"error": {"message": "Authentication required", "code": 2006}}
        accept = str(headers.get("Accept") or "")
        if "version=" in accept.replace(" ", "") and ACCEPT not in accept.replace(" ", ""):
            return 406, {"error": {"message": "Unsupported API version requested", "code": 2001}}
        with self._lock:
            if path == "/oncalls":
                return 200, self._oncalls(query)
            if path.startswith("/users/"):
                user = self.users.get(path.removeprefix("/users/"))
                if user is None:
                    return 404, {"error": {"message": "Not Found", "code": 2100}}
                return 200, {"user": self._user_json(user)}
            if path == "/incidents":
                keys = query.get("incident_key") or []
                found = [i for i in self.incidents if not keys or i.dedup_key in keys]
                return 200, {
                    "incidents": [
                        self._incident_json(i, self.services[i.routing_key][0]) for i in found
                    ],
                    "limit": 25,
                    "offset": 0,
                    "more": False,
                }
        return 404, {"error": {"message": "Not Found", "code": 2100}}

    def _oncalls(self, query: dict[str, list[str]]) -> dict[str, Any]:
        policies = set(query.get("escalation_policy_ids[]") or [])
        now = self.clock()
        entries = [
            o
            for o in self.oncalls
            if (not policies or o.policy in policies) and o.start <= now < o.end
        ]
        embed = "users" in (query.get("include[]") or [])
        return {
            "oncalls": [
                {
                    "user": self._user_json(self.users[o.user])
                    if embed
                    else self._reference(self.users[o.user]),
                    "escalation_policy": {"id": o.policy, "type": "escalation_policy_reference"},
                    "schedule": None,
                    "escalation_level": o.level,
                    "start": o.start.isoformat(),
                    "end": o.end.isoformat(),
                }
                for o in entries
            ],
            "limit": 25,
            "offset": 0,
            "more": False,
            "total": None,
        }


def _handler_for(emulator: PagerDutyEmulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            refused = emulator.faults.check()
            if refused is not None:
                answer(self, refused, {"status": "unavailable", "message": "Service unavailable"})
                return
            if urlsplit(self.path).path != "/v2/enqueue":
                answer(self, 404, {"error": {"message": "Not Found", "code": 2100}})
                return
            size = int(self.headers.get("Content-Length") or 0)
            body, problem = read_json(self)
            if problem:
                answer(self, *_invalid(f"Event object is invalid: {problem}"))
                return
            answer(self, *emulator.enqueue(size, body))

        def do_GET(self) -> None:
            refused = emulator.faults.check()
            if refused is not None:
                answer(self, refused, {"error": {"message": "Service unavailable", "code": 0}})
                return
            parts = urlsplit(self.path)
            answer(self, *emulator.rest(parts.path, parse_qs(parts.query), self.headers))

    return Handler
