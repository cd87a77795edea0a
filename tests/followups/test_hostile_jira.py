"""`POST /jira/events` against hostile or partial input: a table of bodies, each with the
status and the field its answer names. None is a 5xx and none changes a follow-up; an event
without a status (Atlassian's documented `jira:issue_updated` example) changes nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from firefighter.emulators.jira import JiraEmulator
from firefighter.incidents.followups import list_followups
from firefighter.incidents.models import TimelineEvent
from tests.followups.conftest import WEBHOOK_SECRET
from tests.slack.conftest import Bot

# Atlassian's example `jira:issue_updated` body: no `fields.status` at all.
DOCUMENTED_UPDATE = {
    "timestamp": 1525698237764,
    "webhookEvent": "jira:issue_updated",
    "issue_event_type_name": "issue_generic",
    "user": {"name": "admin", "displayName": "Administrator"},
    "issue": {
        "id": "10003",
        "key": "OPS-1",
        "fields": {"summary": "Add retries", "labels": ["incident-1"]},
    },
    "changelog": {"items": [{"field": "summary", "fromString": "x", "toString": "y"}]},
}


def issue(fields: Any) -> dict[str, Any]:
    return {"webhookEvent": "jira:issue_updated", "issue": {"key": "OPS-1", "fields": fields}}


def status(category: Any) -> dict[str, Any]:
    return issue({"status": {"name": "Done", "statusCategory": category}})


ROWS: list[tuple[str, bytes | Any, int, str]] = [
    ("not JSON", b"{issue", 400, "body: not JSON"),
    ("not UTF-8", b"\xff\xfe", 400, "body: not JSON"),
    ("JSON list", [1, 2], 400, "body:"),
    ("issue a string", {"issue": "OPS-1"}, 400, "issue:"),
    ("issue null", {"issue": None}, 400, "issue:"),
    ("issue key missing", {"issue": {"fields": {}}}, 400, "issue.key"),
    ("issue key a number", {"issue": {"key": 7}}, 400, "issue.key"),
    ("issue key 1,000 characters", {"issue": {"key": "K" * 1000}}, 400, "issue.key"),
    ("fields a string", issue("Done"), 400, "issue.fields:"),
    ("status a string", issue({"status": "Done"}), 400, "issue.fields.status:"),
    ("statusCategory a list", status(["done"]), 400, "statusCategory:"),
    ("statusCategory key a number", status({"key": 3}), 400, "statusCategory.key"),
    ("nested 100,000 deep", b"[" * 100_000 + b"]" * 100_000, 400, "body"),
    ("over 1 MB", {"issue": {"key": "OPS-1", "x": "a" * 1024 * 1024}}, 413, "1 MB"),
    ("documented issue_updated, no status", DOCUMENTED_UPDATE, 200, "no status"),
    ("fields without status", issue({"summary": "renamed"}), 200, "no status"),
    ("status without category", issue({"status": {"name": "Done"}}), 200, "no status"),
    (
        "unknown issue",
        {"issue": {"key": "NOPE-9", "fields": {"status": {"statusCategory": {"key": "new"}}}}},
        200,
        '"followup": null',
    ),
]


def post(bot: Bot, body: bytes | Any) -> tuple[int, str]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    digest = hmac.new(WEBHOOK_SECRET.encode(), data, hashlib.sha256).hexdigest()
    answer = requests.post(
        f"{bot.url}/jira/events",
        data=data,
        headers={"Content-Type": "application/json", "X-Hub-Signature": f"sha256={digest}"},
        timeout=20,
    )
    return answer.status_code, answer.text


def state(bot: Bot) -> tuple[list[str], int]:
    with bot.core.factory() as session:
        events = session.scalar(select(func.count()).select_from(TimelineEvent)) or 0
        return [f.status for f in list_followups(session)], events


@pytest.mark.parametrize(("name", "body", "code", "fragment"), ROWS, ids=[r[0] for r in ROWS])
def test_hostile_jira_event(
    jira: JiraEmulator, bot: Bot, name: str, body: Any, code: int, fragment: str
) -> None:
    incident = bot.declare()
    bot.in_channel(incident, "followup Add retries")
    bot.settle()
    bot.settle()
    jira.set_status("OPS-1", "Done")
    assert jira.send_webhook(f"{bot.url}/jira/events", "OPS-1", WEBHOOK_SECRET)[0] == 200
    bot.settle()
    before = state(bot)
    assert before[0] == ["done"]
    got, text = post(bot, body)
    assert got < 500, (name, got, text)
    assert (got, fragment in text) == (code, True), (name, got, text)
    bot.settle()
    assert state(bot) == before, name


def test_unconfigured_jira_says_what_to_set(bot: Bot) -> None:
    assert not bot.core.settings.jira_enabled
    answer = requests.post(f"{bot.url}/jira/events", data=b"{}", timeout=10)
    assert answer.status_code == 404
    assert "JIRA_URL" in answer.json()["error"] and "JIRA_WEBHOOK_SECRET" in answer.json()["error"]


def test_the_table_is_long_enough() -> None:
    assert len(ROWS) >= 10
