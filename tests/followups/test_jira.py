"""Follow-ups as Jira issues, through the Jira emulator over HTTP: once, and status back."""

from __future__ import annotations

import pytest

from firefighter.emulators.jira import JiraEmulator
from firefighter.incidents import effects
from firefighter.incidents.followups import list_followups
from firefighter.schedules import JIRA_POLL, Scheduler
from tests.followups.conftest import WEBHOOK_SECRET
from tests.slack.conftest import Bot


def keys(bot: Bot) -> list[str | None]:
    with bot.core.factory() as session:
        return [f.jira_key for f in list_followups(session)]


def statuses(bot: Bot) -> list[str]:
    with bot.core.factory() as session:
        return [f.status for f in list_followups(session)]


@pytest.mark.parametrize("jira", ["datacenter", "cloud"], indirect=True)
def test_one_issue_per_followup_with_label_marker_and_assignee(
    jira: JiraEmulator, bot: Bot
) -> None:
    incident = bot.declare()
    bot.in_channel(incident, "followup Add retries <@U_BOB|bob> due 2026-03-20")
    bot.in_channel(incident, "followup Write the runbook")
    bot.settle()
    bot.settle()
    assert keys(bot) == ["OPS-1", "OPS-2"]
    first = jira.issues["OPS-1"]
    assert first.labels[0] == f"incident-{incident.id}"
    assert "[firefighter-followup-1]" in first.description
    assert first.assignee is not None and first.assignee.display_name == "Bob Builder"
    assert jira.issues["OPS-2"].assignee is None
    assert len(jira.issues) == 2
    bot.in_channel(incident, "followups")
    assert "OPS-1" in str(bot.emulator.ephemerals("U_ALICE")[-1].blocks)


def creates(jira: JiraEmulator) -> int:
    return sum(1 for method, path in jira.calls if (method, path) == ("POST", "/rest/api/2/issue"))


def test_a_worker_dying_after_create_adopts_the_issue(jira: JiraEmulator, bot: Bot) -> None:
    incident = bot.declare()
    # Jira creates the issue but the answer is lost: the handler fails, as a crash between
    # creating and recording the key would; the retry finds it by label and marker.
    jira.fail_next("POST", "/rest/api/2/issue", 500, after=True)
    bot.in_channel(incident, "followup Add retries")
    for _ in range(3):
        bot.settle()
    assert keys(bot) == ["OPS-1"]
    assert len(jira.issues) == 1 and creates(jira) == 1


def test_jira_500_then_201_makes_one_issue(jira: JiraEmulator, bot: Bot) -> None:
    incident = bot.declare()
    jira.fail_next("POST", "/rest/api/2/issue", 500)
    bot.in_channel(incident, "followup Add retries")
    for _ in range(3):
        bot.settle()
    assert keys(bot) == ["OPS-1"]
    assert len(jira.issues) == 1 and creates(jira) == 2


def test_webhook_done_reopen_and_bad_signature(jira: JiraEmulator, bot: Bot) -> None:
    incident = bot.declare()
    bot.in_channel(incident, "followup Add retries")
    bot.settle()
    bot.settle()
    url = f"{bot.url}/jira/events"
    jira.set_status("OPS-1", "Done")
    status, _ = jira.send_webhook(url, "OPS-1", "wrong-secret")
    assert status == 401 and statuses(bot) == ["open"]
    status, _ = jira.send_webhook(url, "OPS-1", None)
    assert status == 401 and statuses(bot) == ["open"]
    status, body = jira.send_webhook(url, "OPS-1", WEBHOOK_SECRET)
    assert status == 200, body
    assert statuses(bot) == ["done"]
    jira.set_status("OPS-1", "To Do")
    assert jira.send_webhook(url, "OPS-1", WEBHOOK_SECRET)[0] == 200
    assert statuses(bot) == ["open"]


def test_done_in_slack_transitions_the_issue_or_says_why_once(jira: JiraEmulator, bot: Bot) -> None:
    incident = bot.declare()
    bot.in_channel(incident, "followup First")
    bot.in_channel(incident, "followup Second")
    bot.settle()
    bot.settle()
    channel = bot.incident(incident.id).channel_id or ""
    bot.in_channel(incident, "followups")
    listing = bot.emulator.ephemerals("U_ALICE")[-1]
    bot.driver.click(channel, listing.ts, "followup_done", "U_ALICE", "1")
    bot.settle()
    assert jira.issues["OPS-1"].status == "Done"
    # A workflow with no way to done from To Do: the bot says so once, in the channel.
    jira.workflow["To Do"] = [("11", "Start Progress", "In Progress")]
    bot.driver.click(channel, listing.ts, "followup_done", "U_ALICE", "2")
    bot.settle()
    bot.settle()
    assert jira.issues["OPS-2"].status == "To Do"
    said = [m.text for m in bot.emulator.messages(channel) if "cannot move to done" in m.text]
    assert len(said) == 1 and "OPS-2" in said[0]


def test_polling_when_no_webhook(jira: JiraEmulator, bot: Bot) -> None:
    bot.core.settings.jira_webhook_secret = None
    incident = bot.declare()
    bot.in_channel(incident, "followup First")
    bot.in_channel(incident, "followup Second")
    bot.settle()
    bot.settle()
    jira.set_status("OPS-2", "Done")
    scheduler = Scheduler(bot.core.settings, bot.core.factory, bot.core.service.clock)
    assert JIRA_POLL in scheduler.run_due()
    searches = [c for c in jira.calls if "search" in c[1]]
    bot.settle()
    assert statuses(bot) == ["open", "done"]
    assert len([c for c in jira.calls if "search" in c[1]]) == len(searches) + 1
    assert effects.FOLLOWUP_JIRA_POLL


def test_jira_refuses_what_jira_refuses(jira: JiraEmulator) -> None:
    import requests

    base = f"{jira.url}/rest/api/2"
    auth = (jira.username or "", jira.password)
    assert requests.get(f"{base}/issue/OPS-1", timeout=5).status_code == 401
    fields = {"project": {"key": "NOPE"}, "issuetype": {"name": "Task"}, "summary": "x"}
    assert (
        requests.post(f"{base}/issue", json={"fields": fields}, auth=auth, timeout=5).status_code
        == 400
    )
    fields["project"] = {"key": "OPS"}
    fields["issuetype"] = {"name": "Epic"}
    assert (
        requests.post(f"{base}/issue", json={"fields": fields}, auth=auth, timeout=5).status_code
        == 400
    )
    fields["issuetype"] = {"name": "Task"}
    created = requests.post(f"{base}/issue", json={"fields": fields}, auth=auth, timeout=5).json()
    moved = requests.post(
        f"{base}/issue/{created['key']}/transitions",
        json={"transition": {"id": "41"}},
        auth=auth,
        timeout=5,
    )
    assert moved.status_code == 400  # Reopen is not offered from To Do
    bad = requests.get(f"{base}/search", params={"jql": "project = = OPS"}, auth=auth, timeout=5)
    assert bad.status_code == 400 and "JQL" in bad.text
