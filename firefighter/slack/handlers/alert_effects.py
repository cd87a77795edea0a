"""Outbox handlers for alerts: the triage card (posted once, then redrawn in place) and the
"every linked alert resolved" notice in the incident channel.

A card's first post goes through `OncePoster`, so a worker that dies between Slack's answer
and our record of it never posts a second card. Redraws are coalesced by the core: one
queued draw per group at a time, never sooner than FIREFIGHTER_ALERT_CARD_SECONDS after
the last one, each drawing the state as it is then.
"""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from firefighter.incidents import effects
from firefighter.incidents.alerts import AlertService, linked_counts
from firefighter.incidents.delivery_views import detached_incident
from firefighter.incidents.errors import NotFound
from firefighter.incidents.outcomes import AlertCardDrawn, StormCardDrawn
from firefighter.incidents.service import IncidentService
from firefighter.outbox import Dispatcher, Message, PermanentFailure, RetryLater
from firefighter.settings import Settings
from firefighter.slack.blocks.alert_cards import all_resolved, card_text, triage_card
from firefighter.slack.blocks.alert_storms import storm_card, storm_text
from firefighter.slack.blocks.common import as_dicts
from firefighter.slack.errors import slack_errors
from firefighter.slack.posting import OncePoster


class AlertEffects:
    """The Slack side of the alert effects."""

    def __init__(
        self, settings: Settings, alerts: AlertService, service: IncidentService, client: WebClient
    ) -> None:
        self.settings = settings
        self.alerts = alerts
        self.service = service
        self.client = client

    def register(self, dispatcher: Dispatcher) -> None:
        """Register the card and the all-resolved notice."""
        dispatcher.register(effects.ALERT_CARD, self.card)
        dispatcher.register(effects.ALERTS_RESOLVED, self.resolved)

    def card(self, message: Message) -> AlertCardDrawn | StormCardDrawn | None:
        """Post the group's card for its current round, or redraw it (or the storm card)."""
        if "storm_id" in message.payload:
            return self.storm(int(message.payload["storm_id"]))
        group_id = int(message.payload["group_id"])
        try:
            state = self.alerts.card_state(group_id)
        except NotFound:
            return None
        channel, ts = self._draw(
            "alert card",
            f"alert-card:{group_id}:{state.round}",
            channel=state.card_channel,
            ts=state.card_ts,
            text=card_text(state),
            blocks=as_dicts(triage_card(state)),
        )
        return AlertCardDrawn(group_id, state.round, state.changes, channel, ts)

    def storm(self, storm_id: int) -> StormCardDrawn | None:
        """Post the source's storm card for its current storm, or redraw it in place."""
        try:
            state = self.alerts.storm_state(storm_id)
        except NotFound:
            return None
        channel, ts = self._draw(
            "alert storm card",
            f"alert-storm:{storm_id}:{state.round}",
            channel=state.card_channel,
            ts=state.card_ts,
            text=storm_text(state),
            blocks=as_dicts(storm_card(state)),
        )
        return StormCardDrawn(storm_id, state.round, state.changes, channel, ts)

    def _draw(
        self,
        what: str,
        once_key: str,
        *,
        channel: str | None,
        ts: str | None,
        text: str,
        blocks: list[dict[str, Any]],
    ) -> tuple[str, str]:
        """Post a card once (under `once_key`) or redraw it in place; its channel and ts."""
        channel = channel or self.settings.triage_channel
        if not channel:
            raise PermanentFailure(
                "no channel for alert cards: set FIREFIGHTER_ALERTS_CHANNEL "
                "(or FIREFIGHTER_INCIDENTS_CHANNEL)"
            )
        if ts is None:
            with slack_errors(f"chat.postMessage ({what})"):
                ts = OncePoster(self.service.factory, self.client).post(
                    once_key, channel=channel, text=text, blocks=blocks, unfurl_links=False
                )
        else:
            with slack_errors(f"chat.update ({what})"):
                self.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
        return channel, ts

    def resolved(self, message: Message) -> None:
        """Tell the incident channel that its alerts all resolved, with a mitigated button."""
        incident_id = int(message.payload["incident_id"])
        incident = detached_incident(self.service.factory, incident_id)
        if incident is None:
            return
        if not incident.channel_id:
            raise RetryLater(f"{incident.reference} has no channel yet")
        firing, resolved = linked_counts(self.service.factory, incident_id)
        if firing:
            return  # one fired again before we got here: the news is stale
        can_mitigate = "mitigated" in self.service.next_states(incident)
        blocks = all_resolved(incident, resolved, can_mitigate)
        with slack_errors("chat.postMessage (alerts resolved)"):
            OncePoster(self.service.factory, self.client).post_and_mark(
                f"alerts-resolved:{message.id}",
                channel=incident.channel_id,
                text=f"The alerts linked to {incident.reference} have resolved.",
                blocks=as_dicts(blocks),
            )
