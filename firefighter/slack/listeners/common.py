"""What listeners share: who acted, a click's identity, answering through response_url."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import Ack, Respond

from firefighter.incidents.errors import NotFound
from firefighter.incidents.read import IncidentView
from firefighter.slack.context import SlackContext
from firefighter.slack.listeners.refusals import record_id

log = logging.getLogger(__name__)


@dataclass
class Reply:
    """What a slash command answers: text and optional blocks, always ephemeral."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)

    def ack(self, ack: Ack) -> None:
        """Acknowledge the command with this reply."""
        if self.blocks:
            ack(text=self.text, blocks=self.blocks)
        else:
            ack(text=self.text)


def acknowledge(ack: Ack) -> None:
    """Answer Slack at once; the work runs right after, in Bolt's lazy-listener thread."""
    ack()


def user_of(body: dict[str, Any]) -> str:
    """The id of the person who clicked or submitted."""
    return str((body.get("user") or {}).get("id") or "")


def click_key(body: dict[str, Any], action: dict[str, Any]) -> str:
    """The identity of a click: the same click delivered twice gives the same key."""
    return f"action:{user_of(body)}:{action.get('action_id')}:{action.get('action_ts')}"


def say_privately(respond: Respond, text: str) -> None:
    """Answer only the clicker, leaving the message they clicked untouched."""
    try:
        respond(text=text, response_type="ephemeral", replace_original=False)
    except Exception:  # an expired response_url must not turn into an error page
        log.warning("could not answer through response_url: %s", text)


def replace_message(respond: Respond, text: str) -> None:
    """Replace the clicked message (its buttons go, so everyone sees it was handled)."""
    try:
        respond(text=text, replace_original=True)
    except Exception:  # the change is made; only the message could not be redrawn
        log.warning("could not replace the clicked message: %s", text)


def form_errors(block_id: str, message: str) -> dict[str, Any]:
    """A view-submission answer that shows `message` under the block `block_id`."""
    return {"response_action": "errors", "errors": {block_id: message[:150]}}


def incident_of(ctx: SlackContext, value: Any) -> IncidentView:
    """The incident whose id a button carried; NotFound if none or malformed."""
    try:
        incident_id = record_id(value)
    except ValueError:
        raise NotFound("That button is not one FireFighter drew.") from None
    return ctx.read.incident(incident_id)
