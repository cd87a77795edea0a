"""Jira failing never freezes an incident: its Slack effects go on; Jira catches up after."""

from __future__ import annotations

import time
from datetime import timedelta

from firefighter.emulators.jira import JiraEmulator
from firefighter.emulators.slack import blocks_text
from firefighter.incidents import effects
from firefighter.incidents.followups import list_followups
from firefighter.incidents.models import Incident
from firefighter.outbox.models import OutboxItem
from tests.conftest import FakeClock
from tests.slack.conftest import Bot


def followup_keys(bot: Bot) -> list[str | None]:
    with bot.core.factory() as session:
        return [f.jira_key for f in list_followups(session)]


def channel_texts(bot: Bot, incident: Incident) -> list[str]:
    channel = bot.incident(incident.id).channel_id
    assert channel
    return [m.text + " " + blocks_text(m.blocks) for m in bot.emulator.messages(channel)]


def jira_items(bot: Bot) -> list[OutboxItem]:
    with bot.core.factory() as session:
        return list(session.query(OutboxItem).filter(OutboxItem.kind.like("followup.jira%")))


def change(bot: Bot, incident: Incident, status: str) -> float:
    """Move the incident (by the card's button, or a command for a reopen); seconds until the
    card and the channel show it."""
    started = time.monotonic()
    if status == "reopen":
        answer = bot.in_channel(incident, "reopen the fix did not hold")
        status = "investigating"
    else:
        card = bot.card(incident)
        answer = bot.driver.click(card.channel_id, card.ts, f"status:{status}", "U_BOB")
    assert answer.status == 200
    bot.settle()
    assert bot.incident(incident.id).status == status
    card_text = blocks_text(bot.card(incident).blocks)
    assert status in card_text.lower(), card_text
    said = channel_texts(bot, incident)[-1]  # the latest post in the channel
    assert status in said and " to " in said, said
    return time.monotonic() - started


def test_jira_down_while_the_incident_moves_then_the_issue_arrives(
    jira: JiraEmulator, bot: Bot, clock: FakeClock
) -> None:
    clock.tick = timedelta(0)  # a retry waits until the test moves time on
    incident = bot.declare(severity="SEV3")
    jira.outage(503)
    answer = bot.in_channel(incident, "followup Add retries <@U_BOB|bob>")
    assert answer.status == 200
    bot.settle()
    [create] = jira_items(bot)
    assert create.attempts == 1 and create.delivered_at is None  # Jira answered 503

    waits = [
        change(bot, incident, status)
        for status in ("investigating", "mitigating", "mitigated", "reopen", "mitigating")
    ]
    assert max(waits) < 5, waits
    refused = [r for r in bot.emulator.responses if "changed since" in str(r.payload)]
    assert not refused, "a click on the card was refused while Jira was down"
    assert followup_keys(bot) == [None]

    clock.advance(minutes=10)  # time for the backed-off retry, but Jira is still down
    bot.settle()
    assert followup_keys(bot) == [None] and jira_items(bot)[0].dead_at is None

    jira.recover()
    clock.advance(minutes=30)
    bot.settle()
    assert followup_keys(bot) == ["OPS-1"]
    issue = jira.issues["OPS-1"]
    assert issue.assignee is not None and issue.assignee.display_name == "Bob Builder"
    assert all(i.delivered_at is not None for i in jira_items(bot))


def test_a_forbidden_user_search_creates_the_issue_unassigned_with_one_notice(
    jira: JiraEmulator, bot: Bot
) -> None:
    incident = bot.declare(severity="SEV3")
    jira.fail_next("GET", "/rest/api/2/user", 403, times=10)
    bot.in_channel(incident, "followup Add retries <@U_BOB|bob>")
    bot.settle()
    bot.settle()
    assert followup_keys(bot) == ["OPS-1"]
    assert jira.issues["OPS-1"].assignee is None
    notices = [t for t in channel_texts(bot, incident) if "created unassigned" in t]
    assert len(notices) == 1, notices
    assert "OPS-1" in notices[0] and "HTTP 403" in notices[0]
    assert all(i.delivered_at is not None for i in jira_items(bot))


def test_a_permanent_refusal_is_not_retried(jira: JiraEmulator, bot: Bot) -> None:
    incident = bot.declare(severity="SEV3")
    jira.fail_next("POST", "/rest/api/2/issue", 400, times=10)
    bot.in_channel(incident, "followup Add retries")
    bot.settle()
    bot.settle()
    [create] = jira_items(bot)
    assert create.dead_at is not None and create.attempts == 1
    creates = [c for c in jira.calls if c == ("POST", "/rest/api/2/issue")]
    assert len(creates) == 1
    notices = [t for t in channel_texts(bot, incident) if effects.FOLLOWUP_JIRA_CREATE in t]
    assert len(notices) == 1 and "Jira refused to create the issue" in notices[0]
