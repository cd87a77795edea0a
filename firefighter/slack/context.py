"""What every listener needs, passed explicitly rather than through globals."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.models.blocks import Block

from firefighter.bootstrap import Core
from firefighter.incidents.models import Incident
from firefighter.incidents.service import IncidentService
from firefighter.settings import Settings
from firefighter.slack import blocks
from firefighter.slack.effects import card_context


@dataclass
class SlackContext:
    """The core, the settings and the one Web API client."""

    core: Core
    client: WebClient

    @property
    def settings(self) -> Settings:
        """The bot's settings."""
        return self.core.settings

    @property
    def service(self) -> IncidentService:
        """The incident service (the only writer)."""
        return self.core.service

    def card(self, incident: Incident) -> list[Block]:
        """The incident card as it should look now."""
        return blocks.incident_card(incident, card_context(self.core, incident))
