"""Block Kit for the conversation features: the "which incident?" form and the App Home."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    Option,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from firefighter.incidents.read import FollowUpView, IncidentView
from firefighter.slack.blocks.common import MAX_BLOCKS, OPTION_MAX, md, modal, plain
from firefighter.slack.blocks.incident_blocks import status_label, title_line, web_page_url
from firefighter.slack.mrkdwn import escape, link
from firefighter.text import truncate

PICK_CALLBACK = "add_to_timeline_pick"
HOME_DECLARE = "home_declare"
OPTIONS_MAX = 100  # a static_select offers at most 100 options


def message_ref(channel_id: str, ts: str) -> str:
    """The private metadata naming a message: its channel and ts."""
    return json.dumps({"channel": channel_id, "ts": ts})


def parse_message_ref(value: str) -> tuple[str, str]:
    """The channel and ts in `message_ref`'s output; ValueError if it is not that."""
    data = json.loads(value or "{}")
    if not isinstance(data, dict) or not data.get("channel") or not data.get("ts"):
        raise ValueError("not a message reference")
    return str(data["channel"]), str(data["ts"])


def pick_incident_modal(incidents: Sequence[IncidentView], channel_id: str, ts: str) -> View:
    """Asks which open incident a message from another channel belongs to."""
    options = [
        Option(value=str(i.id), text=plain(f"{i.severity} {title_line(i)}", OPTION_MAX))
        for i in incidents[:OPTIONS_MAX]
    ]
    blocks: list[Block] = [
        SectionBlock(text=md("Add this message to the timeline of which incident?")),
        InputBlock(
            block_id="incident",
            label=plain("Incident", 2000),
            element=StaticSelectElement(action_id="incident", options=options),
        ),
    ]
    return modal(
        callback_id=PICK_CALLBACK,
        title="Add to timeline",
        submit="Add",
        private_metadata=message_ref(channel_id, ts),
        blocks=blocks,
    )


@dataclass(frozen=True)
class HomeState:
    """What one person's Home tab shows."""

    user_id: str
    open_incidents: Sequence[IncidentView]
    mine: Sequence[tuple[IncidentView, Sequence[str]]]
    """The user's open incidents, with the roles they hold there."""
    followups: Sequence[tuple[FollowUpView, str]] = ()
    """The user's open follow-ups, with their incident's reference."""
    today: date | None = None
    oncall: str | None = None
    """`You are on call for Payments until Tuesday 09:00.`, when paging says so."""
    base_url: str | None = None
    command: str = "/incident"
    """The slash command (FIREFIGHTER_COMMAND), for the hint under a long list."""
    """FIREFIGHTER_BASE_URL: when set, each incident links to its web page."""


def _line(incident: IncidentView, base_url: str | None = None) -> str:
    channel = f"<#{incident.channel_id}>" if incident.channel_id else "(no channel yet)"
    lock = ":lock: " if incident.private else ""
    page = web_page_url(base_url, incident.id)
    web = " · " + link(page, "web page") if page else ""
    return truncate(
        f"{lock}*{incident.severity}* {status_label(incident.status)} "
        f"{escape(title_line(incident))} — {channel}{web}",
        500,
    )


def home_view(state: HomeState) -> View:
    """The Home tab: a declare button, open incidents (most severe first), and mine."""
    blocks: list[Block] = [
        HeaderBlock(text=plain("FireFighter", 150)),
        ActionsBlock(
            block_id="home_actions",
            elements=[
                ButtonElement(
                    text=plain("Declare an incident", 75),
                    action_id=HOME_DECLARE,
                    style="danger",
                )
            ],
        ),
        DividerBlock(),
        HeaderBlock(text=plain(f"Open incidents ({len(state.open_incidents)})", 150)),
    ]
    if state.oncall:
        blocks.insert(1, SectionBlock(text=md(state.oncall)))
    if not state.open_incidents:
        blocks.append(SectionBlock(text=md(":sunny: No open incidents.")))
    for incident in state.open_incidents[:20]:
        blocks.append(SectionBlock(text=md(_line(incident, state.base_url))))
    if len(state.open_incidents) > 20:
        more = len(state.open_incidents) - 20
        blocks.append(ContextBlock(elements=[md(f"…and {more} more: `{state.command} list`.")]))
    blocks += [DividerBlock(), HeaderBlock(text=plain("Yours", 150))]
    if not state.mine:
        blocks.append(
            SectionBlock(text=md("You hold no role in an open incident and declared none."))
        )
    for incident, roles in state.mine[:15]:
        held = ", ".join(roles) if roles else "member"
        line = _line(incident, state.base_url)
        blocks.append(SectionBlock(text=md(f"{line}\nYou: {escape(held)}")))
    blocks += [DividerBlock(), HeaderBlock(text=plain("Your open follow-ups", 150))]
    if not state.followups:
        blocks.append(SectionBlock(text=md("No open follow-up is yours.")))
    for followup, reference in state.followups[:10]:
        blocks.append(SectionBlock(text=md(_followup_line(followup, reference, state.today))))
    return View(type="home", blocks=blocks[:MAX_BLOCKS])


def _followup_line(followup: FollowUpView, reference: str, today: date | None) -> str:
    due = ""
    if followup.due is not None:
        late = today is not None and followup.due < today
        due = f" · due {followup.due.isoformat()}" + (" *(overdue)*" if late else "")
    jira = " · " + link(followup.jira_url, followup.jira_key or "") if followup.jira_url else ""
    return truncate(f"• {escape(followup.title)} — {reference}{due}{jira}", 2900)
