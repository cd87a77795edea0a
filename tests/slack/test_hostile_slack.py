"""`POST /slack/events` against hostile input: a table of requests, each with the status and
the sentence expected. None is a 5xx, and none stores anything."""

from __future__ import annotations

import contextlib
import http.client
import json
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from firefighter.incidents.alert_models import AlertGroup
from firefighter.incidents.followup_models import FollowUp
from firefighter.incidents.models import Incident, IncidentRole, TimelineEvent
from firefighter.outbox.models import OutboxItem
from tests.slack.conftest import Bot

FORM = "application/x-www-form-urlencoded"
FOREIGN = "This is for you!"


@dataclass(frozen=True)
class Answer:
    status: int
    text: str  # the HTTP body and every ephemeral the request caused, as people read them


Send = Callable[[Bot, int], Answer]


def _seen(bot: Bot, status: int, body: str, before: int) -> Answer:
    said = [m.text for m in bot.emulator.ephemerals()[before:]]
    return Answer(status, " ".join([body, *said]))


def raw(
    body: bytes | str,
    content_type: str = FORM,
    *,
    timestamp: str | None = None,
    signature: str | None = None,
    sign: bool = True,
    length: str | None = None,
    send_body: bool = True,
) -> Send:
    """A request written byte by byte: forged headers, lying lengths, unsigned bodies."""

    def send(bot: Bot, _incident: int) -> Answer:
        data = body.encode() if isinstance(body, str) else body
        stamp = timestamp if timestamp is not None else str(int(time.time()))
        headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": stamp}
        if signature is not None:
            headers["X-Slack-Signature"] = signature
        elif sign:
            text = data.decode("utf-8", "replace")
            headers["X-Slack-Signature"] = bot.driver.sign(text, int(stamp))
        headers["Content-Length"] = length if length is not None else str(len(data))
        target = urlsplit(bot.driver.bot_url)
        connection = http.client.HTTPConnection(target.hostname or "", target.port, timeout=20)
        try:
            connection.putrequest("POST", target.path)
            for key, value in headers.items():
                connection.putheader(key, value)
            connection.endheaders()
            if send_body:
                # The server may answer and close before reading it all: that is the point.
                with contextlib.suppress(OSError):
                    connection.send(data)
            response = connection.getresponse()
            return Answer(response.status, response.read().decode("utf-8", "replace"))
        finally:
            connection.close()

    return send


def payload(make: Callable[[Bot, int], dict[str, Any]], user: str = "U_DAVE") -> Send:
    """A signed interactive payload built for the incident under test."""

    def send(bot: Bot, incident: int) -> Answer:
        before = len(bot.emulator.ephemerals())
        body = urllib.parse.urlencode({"payload": json.dumps(make(bot, incident))})
        response = bot.driver.post(body, FORM)
        return _seen(bot, response.status, response.body, before)

    return send


def _user(user: str = "U_DAVE") -> dict[str, Any]:
    return {"id": user, "username": user.lower(), "name": user.lower(), "team_id": "T0001"}


def click(action_id: str, value: Any) -> Send:
    def make(bot: Bot, incident: int) -> dict[str, Any]:
        channel = bot.incident(incident).channel_id or ""
        return {
            "type": "block_actions",
            "user": _user(),
            "api_app_id": bot.emulator.app_id,
            "token": bot.driver.verification_token,
            "container": {"type": "message", "message_ts": "1.000001", "channel_id": channel},
            "trigger_id": bot.emulator.issue_trigger_id("U_DAVE"),
            "team": {"id": "T0001", "domain": "acme"},
            "channel": {"id": channel, "name": "incident"},
            "response_url": bot.emulator.issue_response_url(channel, "U_DAVE"),
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": "b",
                    "type": "button",
                    "value": value,
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }

    return payload(make)


def submit(callback_id: str, metadata: str, values: dict[str, dict[str, Any]]) -> Send:
    def make(bot: Bot, _incident: int) -> dict[str, Any]:
        return {
            "type": "view_submission",
            "team": {"id": "T0001", "domain": "acme"},
            "user": _user(),
            "api_app_id": bot.emulator.app_id,
            "token": bot.driver.verification_token,
            "trigger_id": bot.emulator.issue_trigger_id("U_DAVE"),
            "view": {
                "id": f"V{abs(hash((callback_id, metadata))) % 10**8}",
                "type": "modal",
                "callback_id": callback_id,
                "private_metadata": metadata,
                "state": {"values": values},
                "hash": "1.x",
            },
            "response_urls": [],
        }

    return payload(make)


def declare_with_start(started: Any) -> Send:
    def send(bot: Bot, _incident: int) -> Answer:
        bot.command("declare Started when?", "U_DAVE")
        response = bot.driver.submit_view("U_DAVE", {"severity": "SEV3", "started_at": started})
        return Answer(response.status, response.body)

    return send


def command(text: str, user: str = "U_DAVE") -> Send:
    def send(bot: Bot, incident: int) -> Answer:
        before = len(bot.emulator.ephemerals())
        response = bot.in_channel(bot.incident(incident), text, user=user)
        return _seen(bot, response.status, response.body, before)

    return send


def _text(value: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def _select(value: str) -> dict[str, Any]:
    return {"type": "static_select", "selected_option": {"value": value}}


OLD = str(int(time.time()) - 3600)
SOON = str(int(time.time()) + 3600)
ONE_MB = 1024 * 1024
COMMAND = urllib.parse.urlencode({"command": "/incident", "text": "list", "user_id": "U_DAVE"})

ROWS: list[tuple[str, Send, int, str]] = [
    # -- not signed by Slack: 401 naming the header, before anything parses the body
    ("no signature", raw(COMMAND, sign=False), 401, "X-Slack-Signature"),
    ("wrong signature", raw(COMMAND, signature="v0=" + "0" * 64), 401, "X-Slack-Signature"),
    ("v1 signature", raw(COMMAND, signature="v1=abc"), 401, "X-Slack-Signature"),
    (
        "timestamp not a number",
        raw(COMMAND, timestamp="soon", signature="v0=1"),
        401,
        "X-Slack-Request-Timestamp",
    ),
    ("timestamp empty", raw(COMMAND, timestamp="", signature="v0=1"), 401, "Timestamp"),
    ("timestamp negative", raw(COMMAND, timestamp="-1", signature="v0=1"), 401, "Timestamp"),
    ("timestamp 30 digits", raw(COMMAND, timestamp="9" * 30, signature="v0=1"), 401, "Timestamp"),
    ("signed an hour ago (replay)", raw(COMMAND, timestamp=OLD), 401, "five minutes"),
    ("signed an hour ahead", raw(COMMAND, timestamp=SOON), 401, "five minutes"),
    ("signature of another body", raw(COMMAND, signature="v0=" + "a" * 64), 401, "match"),
    (
        "unsigned payload= and 900 kB of x",
        raw("payload=" + "x" * 900_000, sign=False),
        401,
        "X-Slack-Signature",
    ),
    (
        "unsigned JSON event",
        raw('{"type":"event_callback"}', "application/json", sign=False),
        401,
        "X-Slack-Signature",
    ),
    # -- too large: 413 from the length, or while reading
    ("unsigned 1.5 MB", raw("x" * (ONE_MB + ONE_MB // 2), sign=False), 413, "Too Large"),
    ("signed 1.5 MB", raw("payload=" + "x" * (ONE_MB + ONE_MB // 2)), 413, "Too Large"),
    (
        "declares 100 MB, sends 10 bytes",
        raw("payload=xx", length=str(100 * ONE_MB), send_body=False),
        413,
        "Too Large",
    ),
    (
        "declares 1.2 MB, sends 10 bytes",
        raw("payload=xx", length=str(ONE_MB + ONE_MB // 5), send_body=False),
        413,
        "Too Large",
    ),
    # -- signed but not something Slack sends: 400
    ("binary body", raw(b"\xff\xfe\x00\x01" * 64, "application/octet-stream"), 400, "body"),
    ("payload not JSON", raw("payload=%7Bnot+json"), 400, "body"),
    ("payload a JSON list", raw("payload=%5B1%2C2%5D"), 400, "body"),
    ("payload a JSON string", raw('payload="hello"'), 400, "body"),
    (
        "actions null",
        raw("payload=" + urllib.parse.quote('{"type":"block_actions","actions":null}')),
        400,
        "body",
    ),
    ("JSON body a list", raw("[1,2,3]", "application/json"), 400, "body"),
    (
        "JSON event null",
        raw('{"type":"event_callback","event":null}', "application/json"),
        400,
        "body",
    ),
    (
        "view not an object",
        raw(
            "payload="
            + urllib.parse.quote('{"type":"view_submission","view":"close","user":{"id":"U1"}}')
        ),
        400,
        "view:",
    ),
    (
        "user not an object",
        raw("payload=" + urllib.parse.quote('{"type":"shortcut","user":"U1","callback_id":"x"}')),
        400,
        "user:",
    ),
    (
        "actions of strings",
        raw(
            "payload="
            + urllib.parse.quote('{"type":"block_actions","user":{"id":"U1"},"actions":["x"]}')
        ),
        400,
        "actions:",
    ),
    # -- signed, well formed, values FireFighter never wrote: a sentence, nothing changed
    ("follow-up Done with text", click("followup_done", FOREIGN), 200, "not one FireFighter"),
    ("follow-up Done with a huge id", click("followup_done", "9" * 40), 200, "not one FireFighter"),
    ("follow-up Done with a negative id", click("followup_done", "-1"), 200, "not one FireFighter"),
    ("close form with text metadata", submit("close", FOREIGN, {}), 200, "not one FireFighter"),
    (
        "reopen form with text metadata",
        submit("reopen", FOREIGN, {"reason": {"reason": _text("x")}}),
        200,
        "not one FireFighter",
    ),
    (
        "dismiss form with text metadata",
        submit("alert_dismiss", FOREIGN, {}),
        200,
        "not one FireFighter",
    ),
    (
        "attach form with text incident",
        submit("alert_attach", "1:1", {"incident": {"incident": _select(FOREIGN)}}),
        200,
        "not one FireFighter",
    ),
    (
        "update form with text metadata",
        submit("reminder_update", FOREIGN, {"update": {"update": _text("x")}}),
        200,
        "not one FireFighter",
    ),
    ("declare started 10^18", declare_with_start(str(10**18)), 200, "Pick"),
    ("declare started -1 (1969)", declare_with_start("-1"), 200, "after 2000"),
    ("declare started 0 (1970)", declare_with_start("0"), 200, "after 2000"),
    (
        "declare started in three days",
        declare_with_start(str(int(time.time()) + 3 * 86400)),
        200,
        "not in the future",
    ),
    (
        "declare started 'soon'",
        submit(
            "declare",
            "{}",
            {
                "title": {"title": _text("Broken")},
                "severity": {"severity": _select("SEV3")},
                "started_at": {
                    "started_at": {"type": "datetimepicker", "selected_date_time": "soon"}
                },
            },
        ),
        200,
        "Pick a date",
    ),
    ("bystander takes command", command("role commander <@U_DAVE>"), 200, "commander of INC-1"),
    ("bystander closes", command("close duplicate"), 200, "may close INC-1"),
]


def _stored(bot: Bot) -> tuple[int, ...]:
    with bot.core.factory() as session:
        return tuple(
            int(session.scalar(select(func.count()).select_from(table)) or 0)
            for table in (Incident, IncidentRole, TimelineEvent, FollowUp, AlertGroup, OutboxItem)
        )


@pytest.mark.parametrize(("name", "send", "status", "fragment"), ROWS, ids=[r[0] for r in ROWS])
def test_hostile_slack_request(bot: Bot, name: str, send: Send, status: int, fragment: str) -> None:
    incident = bot.declare()
    bot.in_channel(incident, "followup Add retries")
    bot.settle()
    before = _stored(bot)
    answer = send(bot, incident.id)
    assert answer.status < 500, answer
    assert answer.status == status, (name, answer)
    assert fragment in answer.text, (name, answer)
    assert "Traceback" not in answer.text and "invalid literal" not in answer.text
    bot.settle()
    assert _stored(bot) == before, name


def test_the_table_is_long_enough() -> None:
    assert len(ROWS) >= 30
