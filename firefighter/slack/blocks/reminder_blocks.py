"""The nudges' Block Kit: update reminder, empty roles, overdue post-mortem, failure class."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    Option,
    SectionBlock,
    StaticSelectElement,
)

from firefighter.incidents.models import Incident
from firefighter.incidents.service import ROLES
from firefighter.slack.blocks.common import OPTION_MAX, md, plain
from firefighter.slack.mrkdwn import escape, user
from firefighter.text import duration, truncate

UPDATE_ACTION = "reminder_update"
SNOOZE_ACTION = "reminder_snooze"
FAILURE_CLASS_ACTION = "failure_class"
FAILURE_CLASS_BLOCK = "failure_class"
TITLE_SHOWN = 80


def _name(incident: Incident) -> str:
    # Titles of private incidents stay in their (private) channel; a DM names the reference.
    if incident.private:
        return f"*{incident.reference}*"
    return f"*{incident.reference}* ({escape(truncate(incident.title, TITLE_SHOWN))})"


def update_nudge(incident: Incident, *, minutes: int, snooze_minutes: int) -> list[Block]:
    """In the channel: no update for the interval; buttons to post one or to snooze."""
    commander = incident.holder("commander")
    text = (
        f":bell: {user(commander)} {incident.reference} has had no update for "
        f"{duration(minutes * 60)}. Post one so that everyone knows where things stand."
    )
    return [
        SectionBlock(text=md(text)),
        ActionsBlock(
            block_id=f"reminder:{incident.id}",
            elements=[
                ButtonElement(
                    text=plain("Post an update", OPTION_MAX),
                    action_id=UPDATE_ACTION,
                    value=str(incident.id),
                    style="primary",
                ),
                ButtonElement(
                    text=plain(f"Snooze {snooze_minutes} min", OPTION_MAX),
                    action_id=SNOOZE_ACTION,
                    value=str(incident.id),
                ),
            ],
        ),
    ]


def roles_nudge_text(incident: Incident, missing: Sequence[str], command: str) -> str:
    """In the channel: a major incident still lacks a communications lead or a scribe."""
    aliases = {"communications": "comms"}
    lacking = " and no ".join(ROLES[role].lower() for role in missing)
    how = ", ".join(f"`{command} role {aliases.get(role, role)} @someone`" for role in missing)
    return (
        f":busts_in_silhouette: {user(incident.holder('commander'))} this {incident.severity} "
        f"still has no {lacking}. Ask someone to take it: {how}."
    )


def postmortem_dm_text(
    incident: Incident, mitigated_at: datetime, due_days: int, command: str
) -> str:
    """In a direct message to the commander: the post-mortem is overdue (`command`: the
    slash command)."""
    where = f" in <#{incident.channel_id}>" if incident.channel_id else ""
    return (
        f":memo: The post-mortem of {_name(incident)} is overdue: the incident was mitigated on "
        f"{mitigated_at:%Y-%m-%d} and its post-mortem is due within {due_days} working days. "
        f"Run `{command} postmortem`{where} to start it."
    )


def failure_class_prompt(incident: Incident, classes: Sequence[str]) -> list[Block]:
    """In the channel: which class of failure was it? A menu of the configured classes."""
    options = [Option(value=c, text=plain(c, OPTION_MAX)) for c in classes[:100]]
    return [
        SectionBlock(
            block_id=f"{FAILURE_CLASS_BLOCK}:{incident.id}",
            text=md(
                f":mag: Where did {incident.reference}'s failure come from? Picking a class "
                "helps the organisation learn where its failures come from."
            ),
            accessory=StaticSelectElement(
                action_id=FAILURE_CLASS_ACTION,
                placeholder=plain("Failure class", OPTION_MAX),
                options=options,
            ),
        )
    ]
