"""Pages anyone can read: people by name from users.info (cached), Slack markup rendered."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from firefighter.incidents.people import People
from firefighter.postmortem.render import check_storage
from firefighter.slack.chat_messages import profile_lookup
from firefighter.slack.client import make_client
from firefighter.slack.listeners.events.home_tab import HOME_MIN_SECONDS
from tests.conftest import FakeClock
from tests.slack.conftest import Bot

ID = re.compile(r"\bU_[A-Z]+\b")


def test_the_postmortem_names_people_and_renders_mentions_and_links(bot: Bot) -> None:
    bot.emulator.add_user("U_CAROL", "carol", display_name="", real_name="Carol Diaz")
    incident = bot.declare(description="Reported by <@U_CAROL> in <#C123|support>")
    channel = bot.incident(incident.id).channel_id or ""
    bot.emulator.add_member(channel, "U_BOB")
    text = "<@U_BOB> rolled back, see <https://grafana.example/d/1?a=1&amp;b=2|the graph> & <!here>"
    posted = bot.emulator.post_user_message(channel, "U_BOB", text)
    bot.driver.reaction(channel, posted.ts, "U_ALICE")
    bot.in_channel(incident, "role scribe <@U_BOB>")
    for move in ("mitigated", "postmortem"):
        bot.in_channel(incident, move)
    bot.settle()

    storage_path = Path(bot.core.settings.postmortem_dir) / "INC-1.storage.xml"
    storage = storage_path.read_text()
    check_storage(storage)  # well-formed
    html = storage_path.with_suffix("").with_suffix(".html").read_text()
    for page in (storage, html):
        assert not ID.findall(page), ID.findall(page)  # names, never ids
        assert "&lt;@" not in page and "&lt;https" not in page  # no raw Slack markup
        assert '<a href="https://grafana.example/d/1?a=1&amp;b=2">the graph</a>' in page
        assert "@bob rolled back" in page
        assert "Reported by @Carol Diaz in #support" in page  # real name without display name
        assert "What happened" in page
    root = ET.fromstring(
        '<r xmlns:ac="http://atlassian.com/content" '
        f'xmlns:ri="http://atlassian.com/resource/identifier">{storage}</r>'
    )
    cells = ["".join(td.itertext()) for td in root.iter("td")]
    assert "bob" in cells and "alice" in cells  # the Who column and the roles


def test_names_are_cached_refreshed_daily_and_deleted_people_keep_theirs(
    bot: Bot, clock: FakeClock
) -> None:
    people = People(bot.core.factory, clock, profile_lookup(make_client(bot.core.settings)))
    assert people.names(["U_ALICE", "U_NOBODY"]) == {"U_ALICE": "alice"}
    bot.emulator.clear_calls()
    assert people.names(["U_ALICE"]) == {"U_ALICE": "alice"}
    assert bot.emulator.calls_to("users.info") == []  # fresh enough: no call

    bot.emulator.add_user("U_ALICE", "", real_name="")  # profile emptied, then deactivated
    bot.emulator.deactivate_user("U_ALICE")
    clock.advance(days=1, seconds=1)
    assert people.names(["U_ALICE"]) == {"U_ALICE": "alice"}
    assert len(bot.emulator.calls_to("users.info")) == 1
    # Without Slack, the cache alone still names her.
    assert People(bot.core.factory, clock).names(["U_ALICE"]) == {"U_ALICE": "alice"}


def test_app_home_hides_private_incidents_from_non_members(bot: Bot) -> None:
    bot.declare("Checkout is down", severity="SEV1")
    bot.declare("Payroll leak", severity="SEV2", options=["private"], user="U_BOB")
    assert bot.driver.app_home_opened("U_ALICE").status == 200
    home = bot.emulator.home_view("U_ALICE")
    assert home is not None
    shown = str(home.view["blocks"])
    assert "Checkout is down" in shown and "Payroll leak" not in shown
    assert "Incident commander" not in shown and "incident commander" in shown  # her role

    bot.driver.app_home_opened("U_BOB")
    bob = bot.emulator.home_view("U_BOB")
    assert bob is not None and "Payroll leak" in str(bob.view["blocks"])

    # Opened again at once: not republished (at most one publish per person per few s).
    before = len(bot.emulator.calls_to("views.publish"))
    bot.driver.app_home_opened("U_ALICE")
    assert len(bot.emulator.calls_to("views.publish")) == before
    assert HOME_MIN_SECONDS >= 1

    # Its button opens the declare modal.
    bot.driver.click_in_view(home.id, "home_declare", "U_ALICE")
    view = bot.emulator.latest_view("U_ALICE")
    assert view is not None and view.callback_id == "declare"


def test_app_home_lists_my_open_followups_but_none_of_a_private_incident_i_am_not_in(
    bot: Bot,
) -> None:
    public = bot.declare("Checkout is down", severity="SEV1")
    bot.in_channel(public, "followup Add retries to the payment client <@U_CAROL|carol>")
    bot.in_channel(public, "followup Write the runbook <@U_BOB|bob>")
    secret = bot.declare("Payroll leak", severity="SEV2", options=["private"], user="U_BOB")
    # Bob gives Carol a follow-up in his private incident; she is not a member of it.
    bot.in_channel(secret, "followup Rotate the payroll keys <@U_CAROL|carol>", user="U_BOB")
    bot.settle()

    assert bot.driver.app_home_opened("U_CAROL").status == 200
    home = bot.emulator.home_view("U_CAROL")
    assert home is not None
    shown = str(home.view["blocks"])
    assert "Your open follow-ups" in shown
    assert f"Add retries to the payment client — {public.reference}" in shown
    assert "Write the runbook" not in shown  # Bob's
    assert "Rotate the payroll keys" not in shown  # a private incident Carol is not in
