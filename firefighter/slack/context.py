"""What every listener needs, passed explicitly rather than through globals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.models.blocks import Block

from firefighter.gameday.engine import GameDays
from firefighter.incidents import lifecycle
from firefighter.incidents.alerts import AlertService, linked_counts
from firefighter.incidents.errors import IncidentError
from firefighter.incidents.followups import FollowUpService
from firefighter.incidents.messages import MessageService
from firefighter.incidents.models import Incident
from firefighter.incidents.paging import PagingService
from firefighter.incidents.paging_plan import OnCallReader
from firefighter.incidents.read import IncidentView, Reader
from firefighter.incidents.service import IncidentService
from firefighter.settings import Settings
from firefighter.slack.blocks.incident_blocks import CardContext, incident_card
from firefighter.slack.mrkdwn import sentence


def card_context(
    service: IncidentService, settings: Settings, incident: Incident | IncidentView
) -> CardContext:
    """The moves and severities a card for `incident` may offer."""
    return CardContext(
        next_states=service.rules.next_states(incident.status, incident.severity),
        severities=settings.severities,
        can_close_early=lifecycle.can_close_early(incident.status),
        can_reopen=bool(lifecycle.reopen_targets(incident.status)),
        drill=incident.drill,
        alerts=linked_counts(service.factory, incident.id),
        followups=Reader(service.factory).followup_counts(incident.id),
        base_url=settings.base_url,
        **paging_facts(service, incident),
    )


def paging_facts(service: IncidentService, incident: Incident | IncidentView) -> dict[str, Any]:
    """The card's pages and the service its Page on-call button would page."""
    paging = service.paging
    if not isinstance(paging, PagingService):
        return {}
    return {"pages": tuple(paging.pages(incident.id)), "page_offer": paging.offered(incident)}


@dataclass
class SlackContext:
    """The settings, the services (the only writers), Game Days and the one Web API client."""

    settings: Settings
    service: IncidentService
    gamedays: GameDays
    client: WebClient
    alerts: AlertService | None = None
    followups: FollowUpService | None = None
    messages: MessageService | None = None
    oncall: OnCallReader | None = None

    def said(self, error: Exception) -> str:
        """A refusal as Slack shows it: the core's with mentions and the configured command."""
        if isinstance(error, IncidentError):
            return sentence(error.words, self.settings.command)
        return str(error)

    @property
    def paging(self) -> PagingService | None:
        """Paging, when FIREFIGHTER_PAGING names services."""
        paging = self.service.paging
        return paging if isinstance(paging, PagingService) else None

    @property
    def read(self) -> Reader:
        """The read side (writes go through the services); lists and pickers apply the one
        visibility rule, admins included."""
        return Reader(self.service.factory, self.service.policy.is_admin)

    def card(self, incident: IncidentView) -> list[Block]:
        """The incident card as it should look now."""
        return incident_card(incident, card_context(self.service, self.settings, incident))
