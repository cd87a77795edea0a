"""Status back from Jira: the signed webhook (`POST /jira/events`) and, without one, a poll."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
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


class BadEvent(ValueError):
    """A webhook body that is not a Jira issue event; the message names the field."""


@dataclass(frozen=True)
class IssueEvent:
    """What a Jira issue event tells: the issue's key and, when it carries one, whether its
    status category is done (None: the event says nothing about the status)."""

    key: str
    done: bool | None


def _object(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadEvent(f"{field}: a JSON object is expected")
    return value


def read_event(data: Any) -> IssueEvent:
    """The issue event in a webhook body, or BadEvent naming the first field that is wrong.

    Jira's documented `jira:issue_updated` example carries no `fields.status`: such an event
    says nothing about the status, so it must change nothing (it used to read as "not done").
    """
    event = _object(data, "body")
    issue = _object(event.get("issue"), "issue")
    key = issue.get("key")
    if not isinstance(key, str) or not key.strip() or len(key) > 64:
        raise BadEvent("issue.key: an issue key such as OPS-1 is expected")
    if "fields" not in issue or issue["fields"] is None:
        return IssueEvent(key.strip(), None)
    fields = _object(issue["fields"], "issue.fields")
    if fields.get("status") is None:
        return IssueEvent(key.strip(), None)
    status = _object(fields["status"], "issue.fields.status")
    if status.get("statusCategory") is None:
        return IssueEvent(key.strip(), None)
    status_category = _object(status["statusCategory"], "issue.fields.status.statusCategory")
    category_key = status_category.get("key")
    if not isinstance(category_key, str) or not category_key:
        raise BadEvent("issue.fields.status.statusCategory.key: new, indeterminate or done")
    return IssueEvent(key.strip(), category_key == DONE)


def apply(followups: FollowUpService, issue: dict[str, Any]) -> str | None:
    """Follow one issue's status category; the follow-up's new status, or None if unknown
    (or if the issue as read carries no status)."""
    try:
        event = read_event({"issue": issue})
    except BadEvent:
        return None
    if event.done is None:
        return None
    changed = followups.sync_from_jira(event.key, event.done)
    return changed.status if changed is not None else None


NOT_CONFIGURED = (
    "Jira is not set up on this server: set JIRA_URL, JIRA_USERNAME, "
    "JIRA_API_TOKEN and JIRA_PROJECT, and JIRA_WEBHOOK_SECRET for this webhook"
)


def webhook_router(secret: str | None, followups: FollowUpService | None) -> APIRouter:
    """`POST /jira/events`: a bad or missing signature → 401 and nothing changes; a body that
    is not an issue event → 400 naming the field; 503 only when the database fails. Without
    Jira (`followups` None), a 404 saying what to set instead of a bare one."""

    def handle(headers: Mapping[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        if followups is None:
            return 404, {"error": NOT_CONFIGURED}
        if not secret:
            return 401, {"error": "JIRA_WEBHOOK_SECRET is not set on this server"}
        if not signature_ok(headers.get("x-hub-signature"), body, secret):
            return 401, {
                "error": "X-Hub-Signature: no sha256 signature matches JIRA_WEBHOOK_SECRET"
            }
        try:
            event = read_event(json.loads(body))
        except RecursionError:
            return 400, {"error": "body: nested too deeply"}
        except BadEvent as error:
            return 400, {"error": str(error)}
        except (ValueError, UnicodeDecodeError):
            return 400, {"error": "body: not JSON"}
        if event.done is None:
            return 200, {
                "key": event.key,
                "followup": None,
                "ignored": "the event carries no status",
            }
        try:
            changed = followups.sync_from_jira(event.key, event.done)
        except Exception:
            log.exception("could not apply the Jira event for %s", event.key)
            return 503, {"error": "FireFighter could not store it; retry"}
        status = changed.status if changed is not None else None
        return 200, {"key": event.key, "followup": status}

    router = APIRouter()
    router.add_api_route(PATH, json_endpoint(handle), methods=["POST"], include_in_schema=False)
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
