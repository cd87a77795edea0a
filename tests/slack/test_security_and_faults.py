"""Signatures, escaping of hostile text, health, and Slack misbehaving."""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.request
from typing import Any

from firefighter.incidents.models import Incident
from firefighter.slack.mrkdwn import linked
from tests.slack.conftest import Bot, buttons


def incidents(bot: Bot) -> int:
    with bot.core.factory() as session:
        return session.query(Incident).count()


def test_forged_signature_and_old_timestamp_get_401_and_change_nothing(bot: Bot) -> None:
    incident = bot.declare(severity="SEV3")
    channel = incident.channel_id or ""
    forged = bot.driver.slash_command("mitigated", "U_ALICE", channel, signature="v0=" + "0" * 64)
    assert forged.status == 401
    old = bot.driver.slash_command(
        "mitigated", "U_ALICE", channel, timestamp=int(time.time()) - 6 * 60
    )
    assert old.status == 401
    assert bot.incident(incident.id).status == "open"
    card = bot.card(incident)
    clicked = bot.driver.click(
        channel, card.ts, "status:investigating", "U_BOB", signature="v0=deadbeef"
    )
    assert clicked.status == 401
    assert bot.incident(incident.id).status == "open"
    assert incidents(bot) == 1


def mrkdwn_texts(node: Any) -> list[str]:
    """Every text Slack parses for mentions: mrkdwn objects (plain_text never pings)."""
    found: list[str] = []
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn":
            found.append(str(node.get("text", "")))
        for value in node.values():
            found += mrkdwn_texts(value)
    elif isinstance(node, list):
        for value in node:
            found += mrkdwn_texts(value)
    return found


def test_channel_ping_in_a_title_is_escaped_everywhere(bot: Bot) -> None:
    title = "<!channel> & <@U_BOB> <https://evil.example|click>"
    incident = bot.declare(title=title, severity="SEV3")
    bot.in_channel(incident, "update <!here> it is <b>bad</b>")
    bot.settle()
    fresh = bot.incident(incident.id)
    posted = bot.emulator.messages(incident.channel_id or "") + bot.emulator.messages(
        bot.incidents_channel
    )
    posted += bot.emulator.replies(bot.incidents_channel, fresh.announcement_ts or "")
    everything = [m.text for m in posted]
    for message in posted:
        everything += mrkdwn_texts(message.blocks)
    everything.append(bot.emulator.channel(incident.channel_id or "").topic)
    assert sum("&lt;!channel&gt;" in text for text in everything) >= 3
    assert any("&lt;!here&gt;" in text for text in everything)
    for text in everything:
        assert "<!channel>" not in text and "<!here>" not in text, text
        assert "<https://evil.example" not in text, text
    assert fresh.title == title  # stored as typed


def test_a_link_in_the_description_is_a_link_on_the_card_and_nothing_else_is_markup(
    bot: Bot,
) -> None:
    # What declare-from-message prefills: the message's Slack text and its permalink.
    description = (
        "<!channel> see <https://grafana.example/d/1?a=1&amp;b=2|the graph> "
        "<https://x.example/a|<!here>> & <b>bold</b> "
        "<https://evil.example/x|click>|<!everyone>> <https://bare.example>"
    )
    incident = bot.declare(description=description, severity="SEV3")
    blocks = bot.card(incident).blocks
    shown = next(t for t in mrkdwn_texts(blocks) if "the graph" in t)
    assert "<https://grafana.example/d/1?a=1&amp;b=2|the graph>" in shown  # a real link
    assert "<https://bare.example>" in shown
    for ping in ("<!channel>", "<!here>", "<!everyone>", "<b>"):
        assert ping not in shown, shown
    # Outside the links, every < and > is escaped: a label cannot close a link early.
    links = [
        "<https://grafana.example/d/1?a=1&amp;b=2|the graph>",
        "<https://evil.example/x|click>",
        "<https://bare.example>",
    ]
    outside = shown
    for link in links:
        outside = outside.replace(link, "")
    assert "<" not in outside and ">" not in outside, outside
    assert "@channel see" in shown and "&lt;b&gt;bold&lt;/b&gt;" in shown
    assert bot.incident(incident.id).description == description  # stored as typed


def test_healthz(bot: Bot) -> None:
    with urllib.request.urlopen(f"{bot.url}/healthz", timeout=5) as answer:
        assert answer.status == 200
        assert b'"database": "ok"' in answer.read()


def test_healthz_is_503_without_a_database(bot: Bot) -> None:
    from firefighter.bootstrap import build_app, build_core, http_app
    from firefighter.settings import Settings
    from firefighter.slack.client import make_client
    from firefighter.web import BackgroundServer

    broken = build_core(
        Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url="postgresql+psycopg://nobody@127.0.0.1:1/none",
            slack_signing_secret="x",
            slack_bot_token="xoxb-x",
        ),
        check=False,
    )
    client = make_client(broken.settings)
    server = BackgroundServer(http_app(broken, build_app(broken, client))).start()
    try:
        try:
            urllib.request.urlopen(f"{server.url}/healthz", timeout=10)
            raise AssertionError("expected 503")
        except urllib.error.HTTPError as error:
            assert error.code == 503
    finally:
        server.stop()
        broken.close()


def scripted_walk(bot: Bot) -> dict[str, object]:
    """Declare and walk an incident; return what people see, without ids that differ."""
    incident = bot.declare(title="Storm", severity="SEV2")
    for text in ("investigating", "role comms <@U_BOB>", "update first", "mitigated", "postmortem"):
        bot.in_channel(incident, text)
    for _ in range(20):
        bot.settle()
    fresh = bot.incident(incident.id)
    channel = bot.emulator.channel(fresh.channel_id or "")
    announcement = bot.announcement(fresh)
    return {
        "status": fresh.status,
        "channel": channel.name.replace(f"-{fresh.id}-", "-N-"),
        "members": sorted(channel.members),
        "topic": channel.topic,
        "pinned": channel.pins == [fresh.card_ts],
        "card buttons": buttons(bot.card(fresh)),
        "announcement buttons": buttons(announcement),
        "announcement says": "postmortem" in str(announcement.blocks),
        "channel posts": [
            m.text.replace(fresh.reference, "INC-N") for m in bot.emulator.messages(channel.id)[1:]
        ],
        "thread": [m.text for m in bot.emulator.replies(bot.incidents_channel, announcement.ts)],
    }


def test_a_storm_of_429_ends_in_the_same_state_as_no_faults(bot: Bot) -> None:
    calm = scripted_walk(bot)
    bot.emulator.faults(rate_429=0.2, retry_after=0, seed=7)
    stormy = scripted_walk(bot)
    bot.emulator.faults()
    assert [c for c in bot.emulator.calls if c.fault == "ratelimited"], "no storm happened"
    assert stormy == calm
    assert calm["status"] == "postmortem" and calm["announcement says"]
    assert len(bot.emulator.messages(bot.incidents_channel)) == 2  # one announcement each


def test_a_cut_description_never_leaves_half_a_link_or_half_an_entity() -> None:
    text = "a & b " + "<https://grafana.example/d/1|graph> " * 200
    for limit in range(1, 120):
        shown = linked(text, limit)
        assert len(shown) <= limit, (limit, shown)
        assert shown.count("<") == shown.count(">"), (limit, shown)
        assert not re.search(r"&(?!amp;|lt;|gt;)", shown), (limit, shown)
    assert linked("short <https://x.example|x>", 100) == "short <https://x.example|x>"
