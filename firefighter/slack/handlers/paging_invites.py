"""Outbox handler: invite the person who acknowledged a page into the incident channel.

The vendor names them by e-mail; Slack finds the user with `users.lookupByEmail` (scope
`users:read.email`). Someone Slack does not know by that address is simply not invited.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from firefighter.incidents import paging_effects as effects
from firefighter.incidents.delivery_views import incident_summary
from firefighter.incidents.outcomes import MembersAdded
from firefighter.incidents.service import IncidentService
from firefighter.outbox import Dispatcher, Message
from firefighter.slack.errors import slack_errors

log = logging.getLogger(__name__)

ALREADY = {"already_in_channel", "cant_invite_self"}
UNKNOWN = {"users_not_found", "user_not_found", "user_is_bot", "user_is_restricted"}


class PagingInvites:
    """Delivers PAGE_INVITE."""

    def __init__(self, service: IncidentService, client: WebClient) -> None:
        self.service = service
        self.client = client

    def register(self, dispatcher: Dispatcher) -> None:
        """Handle the Slack side of paging."""
        dispatcher.register(effects.PAGE_INVITE, self.invite)

    def invite(self, message: Message) -> MembersAdded | None:
        """Find the acknowledger by e-mail and invite them."""
        incident_id = int(message.payload["incident_id"])
        email = str(message.payload.get("email") or "")
        channel = incident_summary(self.service.factory, incident_id).channel_id
        if not channel or not email:
            return None
        with slack_errors("users.lookupByEmail"):
            try:
                found = self.client.users_lookupByEmail(email=email)
            except SlackApiError as error:
                if error.response.get("error") not in UNKNOWN:
                    raise
                log.info("no Slack user has the acknowledger's address; not invited")
                return None
        user_id = str((found.get("user") or {}).get("id") or "")
        if not user_id:
            return None
        with slack_errors("conversations.invite"):
            try:
                self.client.conversations_invite(channel=channel, users=[user_id])
            except SlackApiError as error:
                if error.response.get("error") not in ALREADY:
                    raise
        return MembersAdded(incident_id, (user_id,))
