"""HTTP clients for PagerDuty (Events API v2, REST) and Opsgenie (Alert API, schedules).

Every call has a time limit. A vendor's answer becomes VendorBusy (retry later: 429, 5xx,
no answer) or VendorRefused (retrying cannot help: 400, 401, 403, 422), the outbox deciding.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import requests

TIMEOUT = 10.0
PD_ACCEPT = "application/vnd.pagerduty+json;version=2"


class VendorBusy(Exception):
    """The vendor did not take the request now; `delay` is how long it asked us to wait."""

    def __init__(self, message: str, delay: float | None = None) -> None:
        super().__init__(message)
        self.delay = delay


class VendorRefused(Exception):
    """The vendor refused the request; the message says what it said."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class OnCallEntry:
    """Someone on call, with their e-mail address when the vendor gives it, until when."""

    name: str
    email: str | None
    until: datetime | None


def _call(
    method: str,
    url: str,
    *,
    headers: dict[str, str],
    body: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
    timeout: float = TIMEOUT,
) -> tuple[int, Any]:
    try:
        reply = requests.request(
            method, url, headers=headers, json=body, params=params, timeout=timeout
        )
    except requests.RequestException as error:
        raise VendorBusy(f"no answer from {url.split('/')[2]}: {type(error).__name__}") from None
    try:
        data: Any = reply.json()
    except ValueError:
        data = {}
    if reply.status_code == 429:
        raise VendorBusy("rate limited (429)", delay=30.0)
    if reply.status_code >= 500:
        raise VendorBusy(f"{reply.status_code} from {url.split('/')[2]}")
    return reply.status_code, data


def _parse_time(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None
    except ValueError:
        return None


class PagerDuty:
    """The Events API v2 (pages) and the REST API (who is on call, who acknowledged)."""

    def __init__(self, events_url: str, api_url: str, token: str | None) -> None:
        self.events_url = events_url.rstrip("/")
        self.api_url = api_url.rstrip("/")
        self.token = token
        self._emails: dict[str, str | None] = {}

    def send(self, event: dict[str, Any]) -> dict[str, Any]:
        """POST one event to /v2/enqueue; the 202 body, or VendorBusy / VendorRefused."""
        status, data = _call(
            "POST",
            f"{self.events_url}/v2/enqueue",
            headers={"Content-Type": "application/json"},
            body=event,
        )
        if status != 202:
            errors = "; ".join(str(e) for e in (data or {}).get("errors") or [])
            message = errors or str((data or {}).get("message") or f"HTTP {status}")
            raise VendorRefused(status, message)
        return dict(data or {})

    def _rest(
        self, path: str, params: dict[str, Any] | None = None, timeout: float = TIMEOUT
    ) -> Any:
        if not self.token:
            raise VendorRefused(401, "PAGERDUTY_API_TOKEN is not set")
        headers = {"Authorization": f"Token token={self.token}", "Accept": PD_ACCEPT}
        status, data = _call(
            "GET", f"{self.api_url}{path}", headers=headers, params=params, timeout=timeout
        )
        if status != 200:
            message = str(((data or {}).get("error") or {}).get("message") or f"HTTP {status}")
            raise VendorRefused(status, message)
        return data

    def oncalls(self, escalation_policy: str, timeout: float = TIMEOUT) -> list[OnCallEntry]:
        """The first escalation level's on-call people now, with their shift's end.

        `include[]=users` embeds each user (name and e-mail): one request per service.
        """
        params = {"escalation_policy_ids[]": escalation_policy, "include[]": "users"}
        data = self._rest("/oncalls", params, timeout=timeout)
        entries = [o for o in data.get("oncalls") or [] if int(o.get("escalation_level") or 1) == 1]
        found = []
        for entry in entries:
            user = entry.get("user") or {}
            email = str(user.get("email") or "") or None
            if user.get("id") and email:
                self._emails[str(user["id"])] = email
            name = str(user.get("name") or user.get("summary") or "someone")
            found.append(OnCallEntry(name, email, _parse_time(entry.get("end"))))
        return found

    def email_of(self, user_id: str, timeout: float = TIMEOUT) -> str | None:
        """A user's e-mail address (GET /users/{id}), remembered."""
        if not user_id:
            return None
        if user_id not in self._emails:
            try:
                user = self._rest(f"/users/{quote(user_id)}", timeout=timeout).get("user") or {}
                self._emails[user_id] = str(user.get("email") or "") or None
            except (VendorBusy, VendorRefused):
                return None
        return self._emails[user_id]


class Opsgenie:
    """The Alert API (create, acknowledge, close by alias) and schedules' timelines."""

    def __init__(self, api_url: str, api_key: str | None) -> None:
        self.api_url = api_url.rstrip("/")
        self.api_key = api_key
        self._names: dict[str, str] = {}

    def _headers(self, key: str | None) -> dict[str, str]:
        given = key or self.api_key
        if not given:
            raise VendorRefused(401, "OPSGENIE_API_KEY is not set")
        return {"Authorization": f"GenieKey {given}", "Content-Type": "application/json"}

    def _post(
        self, path: str, body: dict[str, Any], key: str | None, params: dict[str, str] | None = None
    ) -> dict[str, Any]:
        status, data = _call(
            "POST", f"{self.api_url}{path}", headers=self._headers(key), body=body, params=params
        )
        if status != 202:
            errors = "; ".join(f"{k}: {v}" for k, v in ((data or {}).get("errors") or {}).items())
            raise VendorRefused(
                status, errors or str((data or {}).get("message") or f"HTTP {status}")
            )
        return dict(data or {})

    def create(self, body: dict[str, Any], key: str | None = None) -> dict[str, Any]:
        """POST /v2/alerts (202 with a requestId)."""
        return self._post("/v2/alerts", body, key)

    def act(self, alias: str, verb: str, key: str | None = None) -> bool:
        """Acknowledge or close the alert with `alias`; False when Opsgenie has no such alert."""
        try:
            self._post(
                f"/v2/alerts/{quote(alias, safe='')}/{verb}",
                {"source": "FireFighter", "note": f"{verb.capitalize()}d from FireFighter"},
                key,
                params={"identifierType": "alias"},
            )
        except VendorRefused as refused:
            if refused.status == 404:
                return False
            raise
        return True

    def oncall(
        self, schedule: str, key: str | None = None, timeout: float = TIMEOUT
    ) -> list[OnCallEntry]:
        """Who is on call in `schedule` now, from its timeline, with the period's end."""
        headers = self._headers(key)
        status, data = _call(
            "GET",
            f"{self.api_url}/v2/schedules/{quote(schedule, safe='')}/timeline",
            headers=headers,
            params={"identifierType": "name"},
            timeout=timeout,
        )
        if status != 200:
            raise VendorRefused(status, str((data or {}).get("message") or f"HTTP {status}"))
        timeline = (data or {}).get("data") or {}
        # The timeline starts at the date asked (now by default): Opsgenie's own now.
        start_of = _parse_time(timeline.get("startDate"))
        now = start_of.timestamp() if start_of else time.time()
        found: list[OnCallEntry] = []
        rotations = (timeline.get("finalTimeline") or {}).get("rotations") or []
        for rotation in rotations:
            for period in rotation.get("periods") or []:
                start, end = (
                    _parse_time(period.get("startDate")),
                    _parse_time(period.get("endDate")),
                )
                if start is None or start.timestamp() > now or (end and end.timestamp() <= now):
                    continue
                username = str((period.get("recipient") or {}).get("name") or "")
                name = self.full_name(username, key, timeout=timeout)
                found.append(OnCallEntry(name, username or None, end))
        return found

    def full_name(self, username: str, key: str | None = None, timeout: float = TIMEOUT) -> str:
        """A user's full name (GET /v2/users/{username}), remembered; the username if unknown."""
        if username and username not in self._names:
            try:
                status, data = _call(
                    "GET",
                    f"{self.api_url}/v2/users/{quote(username, safe='')}",
                    headers=self._headers(key),
                    timeout=timeout,
                )
            except (VendorBusy, VendorRefused):
                return username
            if status == 200:
                self._names[username] = str(
                    ((data or {}).get("data") or {}).get("fullName") or username
                )
        return self._names.get(username, username)


class Cache:
    """Answers remembered for `seconds` (who is on call: a minute)."""

    def __init__(self, seconds: float = 60.0, clock: Any = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self._values: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: str, compute: Any) -> Any:
        """The remembered value of `key`, or `compute()` remembered now."""
        with self._lock:
            hit = self._values.get(key)
            if hit is not None and self.clock() - hit[0] < self.seconds:
                return hit[1]
        value = compute()
        with self._lock:
            self._values[key] = (self.clock(), value)
        return value
