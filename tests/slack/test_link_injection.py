"""Links are data: every card that shows an outside URL draws it through one helper, so a
hostile URL can neither ping the channel, nor close the link early, nor be a `javascript:`
link. Rows: the attacks from the security review, on every such card."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from firefighter.gameday.board import Board
from firefighter.incidents.alerts import CardState
from firefighter.incidents.followup_models import FollowUp
from firefighter.incidents.models import Incident
from firefighter.settings import DEFAULT_SEVERITIES
from firefighter.slack.blocks.alert_cards import triage_card
from firefighter.slack.blocks.conversation_blocks import _followup_line
from firefighter.slack.blocks.followup_blocks import describe
from firefighter.slack.blocks.gameday_blocks import report_text
from firefighter.slack.blocks.incident_blocks import (
    CardContext,
    announcement,
    incident_card,
    postmortem_link,
)
from firefighter.slack.mrkdwn import link

ATTACKS = [
    ("pipe closes the label", "https://x|dashboard> <!channel> <https://y"),
    ("angle bracket closes the link", "https://x> <!channel>"),
    ("channel ping", "<!channel>"),
    ("javascript", "javascript:alert(9)"),
    ("data URL", "data:text/html,<script>alert(1)</script>"),
    ("no scheme", "//evil.example/x"),
    ("ampersand", "https://x/?a=1&b=<2>"),
]
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def incident_with(url: str) -> Incident:
    return Incident(
        id=1,
        title="Payments down",
        status="postmortem",
        severity="SEV2",
        private=False,
        drill=False,
        version=1,
        channel_id="C1",
        declared_at=NOW,
        postmortem_url=url,
        roles=[],
    )


def followup_with(url: str) -> FollowUp:
    return FollowUp(
        id=1, incident_id=1, title="Add retries", status="open", jira_key="OPS-1", jira_url=url
    )


def card_state(url: str) -> CardState:
    return CardState(
        group_id=1,
        source="generic",
        title="Disk full",
        labels={},
        link=url,
        state="triage",
        round=1,
        card_channel=None,
        card_ts=None,
        changes=0,
        firing=1,
        resolved=0,
        count=1,
        first_seen=NOW,
        last_seen=NOW,
        started_at=NOW,
        incident_id=None,
        incident_reference=None,
        incident_channel=None,
        decided_by=None,
        dismiss_reason=None,
    )


def board() -> Board:
    return Board(
        gameday_id=1,
        name="Spring",
        mode="live",
        status="done",
        started_at=NOW,
        ended_at=NOW,
        as_of=NOW,
        scenarios_total=0,
        teams=(),
        rules=(),
        channel_id=None,
        board_ts=None,
    )


def _text(blocks: Any) -> str:
    return json.dumps([b.to_dict() if hasattr(b, "to_dict") else b for b in blocks])


CONTEXT = CardContext(next_states=[], severities=list(DEFAULT_SEVERITIES))
CARDS: list[tuple[str, Callable[[str], str]]] = [
    ("helper", lambda url: link(url, "Open it")),
    ("triage card", lambda url: _text(triage_card(card_state(url)))),
    ("incident card", lambda url: _text(incident_card(incident_with(url), CONTEXT))),
    ("announcement", lambda url: _text(announcement(incident_with(url), CONTEXT))),
    ("post-mortem message", lambda url: postmortem_link(url, True)),
    ("follow-up list", lambda url: describe(followup_with(url))),
    ("App Home follow-ups", lambda url: _followup_line(followup_with(url), "INC-1", None)),
    ("Game Day report", lambda url: report_text(board(), url)),
]


def tokens(mrkdwn: str) -> list[str]:
    """Everything Slack would read as markup: `<…>` spans."""
    return re.findall(r"<([^<>]*)>", json.loads(json.dumps(mrkdwn)))


@pytest.mark.parametrize(("card", "draw"), CARDS, ids=[c[0] for c in CARDS])
@pytest.mark.parametrize(("attack", "url"), ATTACKS, ids=[a[0] for a in ATTACKS])
def test_outside_links_are_data(
    card: str, draw: Callable[[str], str], attack: str, url: str
) -> None:
    drawn = draw(url)
    for token in tokens(drawn):
        href = token.split("|", 1)[0]
        # The only markup an outside URL may produce is an http(s) link to itself.
        assert href.startswith(("http://", "https://", "#C", "@U", "!date")), (card, token)
        if href.startswith("http"):
            assert not set(href) & set(" <>|"), (card, token)
    assert not re.search(r"<!(channel|here|everyone)", drawn), (card, drawn)
    assert "<javascript:" not in drawn and "<data:" not in drawn


def test_a_plain_link_stays_a_link() -> None:
    assert link("https://grafana.example/d/1?a=1&b=2", "Open in grafana") == (
        "<https://grafana.example/d/1?a=1&amp;b=2|Open in grafana>"
    )
    assert link("javascript:alert(9)", "Open") == "Open (javascript:alert(9))"
