"""`/incident followup TEXT [@owner] [due YYYY-MM-DD]` and `/incident followups`."""

from __future__ import annotations

import re
from datetime import date

from firefighter.incidents.errors import InvalidInput
from firefighter.incidents.read import IncidentView
from firefighter.slack.blocks.common import as_dicts
from firefighter.slack.blocks.followup_blocks import followup_list
from firefighter.slack.context import SlackContext
from firefighter.slack.listeners.common import Reply
from firefighter.slack.mrkdwn import MENTION
from firefighter.text import plural

SUBCOMMANDS = {"followup", "followups"}
FORM = "`followup <what needs doing> [@owner] [due YYYY-MM-DD]`"
DUE = re.compile(r"\bdue\s+(\S+)\s*$", re.IGNORECASE)


def parse(rest: str) -> tuple[str, str | None, date | None]:
    """(title, owner, due) from the command text; InvalidInput naming the expected form."""
    text = rest.strip()
    due: date | None = None
    match = DUE.search(text)
    if match:
        raw = match.group(1)
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
                raise ValueError
            due = date.fromisoformat(raw)
        except ValueError:
            raise InvalidInput(
                f"`{raw[:20]}` is not a date; write the due date as `due YYYY-MM-DD`: {FORM}."
            ) from None
        text = text[: match.start()].rstrip()
    owners = MENTION.findall(text)
    if len(owners) > 1:
        raise InvalidInput(f"Name one owner: {FORM}.")
    owner = owners[0] if owners else None
    text = re.sub(r"<@[^>]*>", "", text).strip()
    stray = re.search(r"(?:^|\s)@(\w[\w.-]*)", text)
    if stray:
        # Slack escapes only people picked from its suggestions; a typed name is unknown.
        raise InvalidInput(
            f"I don't know @{stray.group(1)[:40]}: pick the owner from Slack's @ suggestions, "
            f"as in {FORM}."
        )
    if not text:
        raise InvalidInput(f"Say what needs doing: {FORM}.")
    return re.sub(r"\s+", " ", text), owner, due


def handle(ctx: SlackContext, incident: IncidentView, sub: str, rest: str, user_id: str) -> Reply:
    """Add a follow-up, or list them with their buttons."""
    if ctx.followups is None:
        raise InvalidInput("Follow-ups are not available in this FireFighter.")
    if sub == "followups":
        followups = ctx.read.followups(incident.id)
        blocks = as_dicts(followup_list(incident, followups))
        return Reply(f"{plural(len(followups), 'follow-up')} for {incident.reference}", blocks)
    title, owner, due = parse(rest)
    added = ctx.followups.add(incident.id, title, actor=user_id, owner=owner, due=due)
    who = f", owned by <@{owner}>" if owner else ""
    when = f", due {due.isoformat()}" if due else ""
    return Reply(f"Follow-up #{added.id} added to {incident.reference}{who}{when}.")
