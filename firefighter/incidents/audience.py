"""Who hears of an incident when its channel opens: where it is announced, who is invited.

The policy, not the delivery: a surface posts the announcement and sends the invitations,
expanding groups in its own way (Slack user groups, `S…`).
"""

from __future__ import annotations

from collections.abc import Callable

from firefighter.incidents.models import Incident
from firefighter.settings import Settings


def announcement_channel(incident: Incident, settings: Settings) -> str | None:
    """Private incidents are never announced; drills only in the Game Day channel, so that
    nobody watching the real incidents channel mistakes an exercise for a fire."""
    if incident.private:
        return None
    if incident.drill:
        return settings.gameday_channel
    return settings.incidents_channel


def first_invitees(
    incident: Incident, settings: Settings, drill_team: Callable[[int], list[str]]
) -> tuple[str, ...]:
    """The declarer, the role holders, then the responders configured for the severity and
    component; a drill pages nobody outside the game, so only its Game Day team (if any)."""
    wanted = [incident.declarer] if incident.declarer else []
    wanted += [role.user_id for role in incident.roles]
    if incident.drill:
        wanted += drill_team(incident.id)
    else:
        wanted += settings.responders_for(incident.severity, incident.component)
    return tuple(dict.fromkeys(wanted))
