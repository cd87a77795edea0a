"""Fuzzing every Slack entry point: never a 500, never a half-applied change."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from firefighter.incidents.models import Incident, TimelineEvent
from firefighter.outbox.models import OutboxItem
from tests.slack.conftest import Bot

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

WORDS = st.sampled_from(
    [
        "declare",
        "list",
        "status",
        "update",
        "severity",
        "role",
        "close",
        "reopen",
        "postmortem",
        "mitigated",
        "SEV1",
        "SEV9",
        "<@U_BOB>",
        "<!channel>",
        "commander",
        "duplicate",
        "",
    ]
)
COMMAND_TEXT = st.one_of(
    st.text(max_size=300),
    st.lists(WORDS, max_size=5).map(" ".join),
    st.text(min_size=3001, max_size=4000),
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def snapshot(bot: Bot) -> tuple[Any, ...]:
    """Counts and versions that any half-applied change would disturb."""
    with bot.core.factory() as session:
        incidents = [
            (i.id, i.version, i.status, i.severity) for i in session.scalars(select(Incident))
        ]
        events = session.scalar(select(func.count()).select_from(TimelineEvent))
        outbox = session.scalar(select(func.count()).select_from(OutboxItem))
    return (incidents, events, outbox)


MOVES = ("status_changed", "reopened", "closed")


def consistent(bot: Bot) -> None:
    """Each incident is what its timeline says happened to it: the status of its last move
    and the severity of its last change (else those it was declared with), and no version
    bump without an event. A command applied to the row but not to the timeline, or the
    other way round, breaks one of these."""
    with bot.core.factory() as session:
        for incident in session.scalars(select(Incident)):
            events = list(
                session.scalars(
                    select(TimelineEvent)
                    .where(TimelineEvent.incident_id == incident.id)
                    .order_by(TimelineEvent.id)
                )
            )
            status, severity = "open", None
            for event in events:
                if event.kind == "declared":
                    severity = event.data.get("severity")
                elif event.kind == "severity_changed":
                    severity = event.data["to"]
                elif event.kind in MOVES:
                    status = event.data["to"]
            told = [(e.kind, e.data) for e in events]
            assert (incident.status, incident.severity) == (status, severity), told
            assert incident.version <= len(events), told


def test_random_command_text_always_gets_a_clear_answer(bot: Bot) -> None:
    incident = bot.declare(title="Fuzz target", severity="SEV3")
    channel = incident.channel_id or ""

    @FUZZ
    @given(text=COMMAND_TEXT, inside=st.booleans())
    def run(text: str, inside: bool) -> None:
        answer = bot.command(text, "U_BOB", channel if inside else None)
        assert answer.status == 200, answer.body
        if answer.body.strip():
            reply = bot.reply_text(answer)
            assert reply and "Traceback" not in reply
        consistent(bot)

    run()


def test_malformed_interactive_payloads_never_fail_the_server(bot: Bot) -> None:
    incident = bot.declare(title="Fuzz target", severity="SEV3")
    card = bot.card(incident)
    bot.driver.click(card.channel_id, card.ts, "status:investigating", "U_BOB")
    template = bot.driver.last_payload
    assert template is not None

    @FUZZ
    @given(
        mutation=st.sampled_from(["drop", "replace", "type", "value", "raw"]),
        key=st.sampled_from(["actions", "user", "type", "container", "view", "response_url"]),
        junk=JSON_VALUES,
    )
    def run(mutation: str, key: str, junk: Any) -> None:
        payload = json.loads(json.dumps(template))
        if mutation == "drop":
            payload.pop(key, None)
        elif mutation == "replace":
            payload[key] = junk
        elif mutation == "type":
            payload["type"] = junk if isinstance(junk, str) else "view_submission"
        elif mutation == "value":
            payload["actions"] = [{**payload["actions"][0], "value": junk, "block_id": junk}]
        if mutation == "raw":
            body = urllib.parse.urlencode({"payload": str(junk)})
        else:
            body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        answer = bot.driver.post(body, "application/x-www-form-urlencoded")
        assert answer.status < 500, answer.body
        consistent(bot)

    run()


def test_random_declare_submissions(bot: Bot) -> None:
    @FUZZ
    @given(
        title=st.one_of(st.text(max_size=250), st.just("x" * 10_000)),
        description=st.text(max_size=50),
        severity=st.sampled_from(["SEV1", "SEV5"]),
        started=st.one_of(st.none(), st.integers(-(2**40), 2**40)),
    )
    def run(title: str, description: str, severity: str, started: int | None) -> None:
        bot.command("declare")
        values: dict[str, Any] = {"title": title, "description": description, "severity": severity}
        if started is not None:
            values["started_at"] = started
        before = snapshot(bot)
        answer = bot.driver.submit_view("U_ALICE", values)
        assert answer.status == 200, answer.body
        after = snapshot(bot)
        if answer.json and answer.json.get("response_action") == "errors":
            assert after == before, "a refused form wrote something"
            assert all(len(m) <= 150 for m in answer.json["errors"].values())
        else:
            assert len(after[0]) == len(before[0]) + 1

    run()
