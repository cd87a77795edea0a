"""Outbox handlers for the conversation: the ✅ on a pinned message, the threaded reply on
the message an incident was declared from."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from firefighter.incidents import effects
from firefighter.incidents.delivery_views import incident_summary
from firefighter.incidents.errors import NotFound
from firefighter.incidents.service import IncidentService
from firefighter.outbox import Dispatcher, Message, PermanentFailure, RetryLater
from firefighter.slack.errors import slack_errors
from firefighter.slack.mrkdwn import escape
from firefighter.slack.posting import OncePoster

TAKEN = "white_check_mark"
"""The reaction that tells the channel a message is in the timeline."""

# reactions.add answers these when there is nothing left to do: the ✅ is there already,
# or the message or its channel went away since the pin.
SETTLED = {"already_reacted", "message_not_found", "channel_not_found", "not_in_channel"}


class ConversationEffects:
    """The Slack side of pinning and declaring from a message."""

    def __init__(self, service: IncidentService, client: WebClient) -> None:
        self.service = service
        self.client = client

    def register(self, dispatcher: Dispatcher) -> None:
        """Register both handlers."""
        dispatcher.register(effects.MESSAGE_PINNED, self.pinned)
        dispatcher.register(effects.DECLARED_FROM_MESSAGE, self.declared)

    def pinned(self, message: Message) -> None:
        """React ✅ on the pinned message (once: Slack refuses a second identical reaction)."""
        channel, ts = str(message.payload["channel"]), str(message.payload["ts"])
        with slack_errors("reactions.add"):
            try:
                self.client.reactions_add(channel=channel, timestamp=ts, name=TAKEN)
            except SlackApiError as error:
                if error.response is not None and error.response.get("error") in SETTLED:
                    return
                raise

    def declared(self, message: Message) -> None:
        """Reply in the source message's thread with the incident and its channel."""
        incident_id = int(message.payload["incident_id"])
        try:
            incident = incident_summary(self.service.factory, incident_id)
        except NotFound as error:
            raise PermanentFailure(str(error)) from None
        if not incident.channel_id:
            raise RetryLater(f"{incident.reference} has no channel yet")
        text = (
            f":rotating_light: {incident.reference} was declared from this message: "
            f"{escape(incident.title)} ({incident.severity}). "
            f"Follow it in <#{incident.channel_id}>."
        )
        with slack_errors("chat.postMessage (declared from message)"):
            OncePoster(self.service.factory, self.client).post_and_mark(
                f"declared-from:{incident.id}",
                channel=str(message.payload["channel"]),
                thread_ts=str(message.payload["ts"]),
                text=text,
            )
