"""Status back from Jira: the signed webhook (`POST /jira/events`) and, without one, a poll."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import select

from firefighter.incidents.followup_models import OPEN, FollowUp
from firefighter.incidents.followups import FollowUpService
from firefighter.jira.client import DONE, category, search

log = logging.getLogger(__name__)

# The WSGI shapes, spelled here because `web` sits above the adapters.
StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

PATH = "/jira/events"
MAX_BODY = 1024 * 1024


def signature_ok(header: str | None, body: bytes, secret: str) -> bool:
    """Whether `X-Hub-Signature: sha256=<hex>` is the HMAC-SHA256 of `body` with `secret`."""
    if not header or not secret:
        return False
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header.strip().encode(), expected.encode())


def _answer(start_response: StartResponse, status: int, body: dict[str, Any]) -> list[bytes]:
    payload = json.dumps(body).encode()
    reasons = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 413: "Payload Too Large"}
    start_response(
        f"{status} {reasons.get(status, 'Error')}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
    )
    return [payload]


def apply(followups: FollowUpService, issue: dict[str, Any]) -> str | None:
    """Follow one issue's status category; the follow-up's new status, or None if unknown."""
    key = str(issue.get("key") or "")
    if not key:
        return None
    changed = followups.sync_from_jira(key, category(issue) == DONE)
    return changed.status if changed is not None else None


def webhook_endpoint(secret: str | None, followups: FollowUpService) -> WSGIApp:
    """`POST /jira/events`: a bad or missing signature → 401 and nothing changes."""

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_BODY:
            return _answer(start_response, 413, {"error": "body over 1 MB"})
        body = environ["wsgi.input"].read(length) if length else b""
        if not secret:
            return _answer(
                start_response, 401, {"error": "JIRA_WEBHOOK_SECRET is not set on this server"}
            )
        if not signature_ok(environ.get("HTTP_X_HUB_SIGNATURE"), body, secret):
            return _answer(
                start_response,
                401,
                {"error": "X-Hub-Signature: no sha256 signature matches JIRA_WEBHOOK_SECRET"},
            )
        try:
            event = json.loads(body)
            issue = event["issue"]
        except (ValueError, KeyError, TypeError):
            return _answer(start_response, 400, {"error": "body: not a Jira issue event"})
        status = apply(followups, issue)
        return _answer(start_response, 200, {"key": issue.get("key"), "followup": status})

    return application


def poll(followups: FollowUpService, client: Any) -> int:
    """Read every Jira issue of a follow-up in one JQL search; how many follow-ups changed.

    Open follow-ups are checked for done issues, and done ones closed within the search for
    reopened issues would need every key: only the open ones are read, which is what matters
    for the reminders and the digest.
    """
    with followups.incidents.factory() as session:
        keys = [
            key
            for key in session.scalars(
                select(FollowUp.jira_key).where(
                    FollowUp.status == OPEN, FollowUp.jira_key.is_not(None)
                )
            )
            if key is not None
        ]
    changed = 0
    # JQL's `key in (...)` has a practical length limit; a few hundred keys per search.
    for start in range(0, len(keys), 200):
        batch = ", ".join(keys[start : start + 200])
        for issue in search(client, f"key in ({batch})", "status", limit=200):
            if category(issue) == DONE and apply(followups, issue) is not None:
                changed += 1
    return changed
