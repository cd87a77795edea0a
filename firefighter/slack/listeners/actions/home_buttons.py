"""The Home tab's button: open the declare modal."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from firefighter.slack.blocks.conversation_blocks import HOME_DECLARE
from firefighter.slack.blocks.modals import declare_modal
from firefighter.slack.context import SlackContext
from firefighter.slack.outage import SLACK_FAILED, slack_error

log = logging.getLogger(__name__)


def register(app: App, ctx: SlackContext) -> None:
    """Listen to the Home tab's "Declare an incident" button."""

    @app.action(HOME_DECLARE)
    def declare(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        view = declare_modal(
            title="", severities=ctx.settings.severities, components=ctx.settings.components
        )
        try:
            client.views_open(trigger_id=str(body.get("trigger_id") or ""), view=view)
        except SLACK_FAILED as error:
            # A Home tab has no response_url to answer through; the person clicks again.
            log.warning("views.open from the Home tab failed: %s", slack_error(error))
