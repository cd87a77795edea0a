"""The storm card: one message per source for the alert groups that came too fast for a
card each, with menus to declare or attach any one of them."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ContextBlock,
    HeaderBlock,
    Option,
    SectionBlock,
    StaticSelectElement,
)

from firefighter.incidents.alert_models import ATTACHED, DECLARED, DISMISSED, TRIAGE
from firefighter.incidents.alerts import StormState
from firefighter.slack.blocks.alert_cards import SOURCE_NAMES, counts_line
from firefighter.slack.blocks.common import HEADER_MAX, OPTION_MAX, md, plain
from firefighter.slack.mrkdwn import escape, slack_date
from firefighter.text import truncate

STORM_DECLARE_ACTION = "alert_storm_declare"
STORM_ATTACH_ACTION = "alert_storm_attach"


def _decision(state: str, reference: str | None) -> str:
    if state == DECLARED:
        return f"declared as {reference}"
    if state == ATTACHED:
        return f"attached to {reference}"
    if state == DISMISSED:
        return "dismissed"
    return "awaiting triage" if state == TRIAGE else state


def storm_card(storm: StormState) -> list[Block]:
    """Counts, the top groups, and a Declare and an Attach menu over the groups left."""
    source = SOURCE_NAMES.get(storm.source, storm.source)
    noun = "group" if storm.groups == 1 else "groups"
    blocks: list[Block] = [
        HeaderBlock(text=plain(f":ocean: Alert storm from {source}", HEADER_MAX)),
        SectionBlock(
            text=md(
                f"*{storm.groups} new alert {noun}* since {slack_date(storm.started_at)}, "
                f"{counts_line(storm.firing, storm.resolved)}; {storm.awaiting} awaiting "
                f"triage. More than {storm.limit} new cards a minute came from {source}, so "
                "further groups are listed here instead of a card each."
            )
        ),
    ]
    if storm.top:
        lines = [
            f"• *{escape(truncate(g.title, 120))}* — {g.firing} firing, "
            f"{g.count} notification{'s' if g.count != 1 else ''}, "
            f"{_decision(g.state, g.incident_reference)}"
            for g in storm.top
        ]
        blocks.append(SectionBlock(text=md("*Top groups*\n" + "\n".join(lines))))
    if storm.pickable:
        options = [
            Option(value=f"{g.group_id}:{g.round}", text=plain(g.title, OPTION_MAX))
            for g in storm.pickable
        ]
        blocks.append(
            ActionsBlock(
                block_id=f"alert-storm:{storm.storm_id}:{storm.round}",
                elements=[
                    StaticSelectElement(
                        action_id=STORM_DECLARE_ACTION,
                        placeholder=plain("Declare one…", OPTION_MAX),
                        options=options,
                    ),
                    StaticSelectElement(
                        action_id=STORM_ATTACH_ACTION,
                        placeholder=plain("Attach one…", OPTION_MAX),
                        options=options,
                    ),
                ],
            )
        )
    blocks.append(
        ContextBlock(
            elements=[
                md(
                    f"Last folded {slack_date(storm.last_folded)}. Every alert is stored: "
                    "`firefighter alerts list`; `firefighter alerts declare ID` and "
                    "`firefighter alerts attach ID INC` work on any of them."
                )
            ]
        )
    )
    return blocks


def storm_text(storm: StormState) -> str:
    """The storm card's notification text."""
    source = SOURCE_NAMES.get(storm.source, storm.source)
    return (
        f"Alert storm from {source}: {storm.groups} new alert groups, "
        f"{counts_line(storm.firing, storm.resolved)}"
    )
