"""Status back from Jira: the signed webhook (`POST /jira/events`) and, without one, a poll."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter
from sqlalchemy import select

from firefighter.http_body import json_endpoint
from firefighter.incidents.followup_models import OPEN, FollowUp
from firefighter.incidents.followups import FollowUpService
from firefighter.jira.client import DONE, category, search

log = logging.getLogger(__name__)

PATH = "/jira/events"


def signature_ok(header: str | None, body: bytes, secret: str) -> bool:
    """Whether `X-Hub-Signature: sha256=<hex>` is the HMAC-SHA256 of `body` with `secret`."""
    if not header or not secret:
        return False
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header.strip().encode(), expected.encode())


def apply(followups: FollowUpService, issue: dict[str, Any]) -> str | None:
    """Follow one issue's status category; the follow-up's new status, or None if unknown."""
    key = str(issue.get("key") or "")
    if not key:
        return None
    changed = followups.sync_from_jira(key, category(issue) == DONE)
    return changed.status if changed is not None else None


def webhook_router(secret: str | None, followups: FollowUpService) -> APIRouter:
    """`POST /jira/events`: a bad or missing signature → 401 and nothing changes."""

    def handle(headers: Mapping[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        if not secret:
            return 401, {"error": "JIRA_WEBHOOK_SECRET is not set on this server"}
        if not signature_ok(headers.get("x-hub-signature"), body, secret):
            return 401, {
                "error": "X-Hub-Signature: no sha256 signature matches JIRA_WEBHOOK_SECRET"
            }
        try:
            event = json.loads(body)
            issue = event["issue"]
        except (ValueError, KeyError, TypeError):
            return 400, {"error": "body: not a Jira issue event"}
        status = apply(followups, issue)
        return 200, {"key": issue.get("key"), "followup": status}

    router = APIRouter()
    router.add_api_route(
        PATH,
        json_endpoint(handle, too_large="body over 1 MB"),
        methods=["POST"],
        include_in_schema=False,
    )
    return router


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
