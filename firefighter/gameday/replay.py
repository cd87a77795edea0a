"""Replay a closed incident as a Game Day drill: its scenario file, written from what happened.

- title and severity: the incident's;
- symptom: its first alert (what the responders saw first), else its description;
- hints: its first updates, released at the offsets they were posted at;
- `mitigate_within`: the time it took to mitigate (at least a minute);
- truth: the post-mortem's root cause as its authors wrote it, when given; else what the
  incident recorded (failure class, last update);
- `replay_of`: the incident's own times to acknowledge and to mitigate, which the report
  puts beside the drill's.

The team defaults to the people who held its roles (a facilitator usually swaps them for
the team being trained); the file validates with `gameday check` as written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from firefighter.gameday.spec import GameDaySpec, format_duration
from firefighter.incidents import lifecycle
from firefighter.incidents.alert_models import Alert
from firefighter.incidents.errors import InvalidInput, NotFound
from firefighter.incidents.models import Incident, TimelineEvent
from firefighter.incidents.queries import parse_reference

MAX_HINTS = 3
PLACEHOLDER_PLAYER = "U_CHANGE_ME"
DEFAULT_MITIGATE = 30 * 60


@dataclass(frozen=True)
class IncidentFacts:
    """What a replay needs of an incident, read in one short session."""

    reference: str
    title: str
    severity: str
    component: str | None
    description: str
    declared_at: datetime
    acknowledged_at: datetime | None
    mitigated_at: datetime | None
    failure_class: str | None
    postmortem_page_id: str | None
    first_alert: str | None
    updates: tuple[tuple[datetime, str], ...]
    people: tuple[str, ...]


def read_incident(factory: sessionmaker[Session], reference: str) -> IncidentFacts:
    """The closed incident `INC-42` (or `42`); NotFound, or InvalidInput if it is not closed."""
    incident_id = parse_reference(reference)
    with factory() as session:
        incident = session.get(Incident, incident_id)
        if incident is None:
            raise NotFound(f"There is no incident INC-{incident_id}.")
        if incident.status != lifecycle.CLOSED:
            raise InvalidInput(
                f"{incident.reference} is {incident.status}; only a closed incident can be "
                "replayed (its whole story is known then)."
            )
        if incident.drill:
            raise InvalidInput(f"{incident.reference} is a drill; replay a real incident.")
        alert = session.scalar(
            select(Alert)
            .where(Alert.incident_id == incident_id)
            .order_by(Alert.first_seen, Alert.id)
            .limit(1)
        )
        updates = session.execute(
            select(TimelineEvent.at, TimelineEvent.text)
            .where(TimelineEvent.incident_id == incident_id, TimelineEvent.kind == "update")
            .order_by(TimelineEvent.at, TimelineEvent.id)
            .limit(MAX_HINTS)
        ).all()
        people = [role.user_id for role in incident.roles]
        if incident.declarer and incident.declarer not in people:
            people.append(incident.declarer)
        return IncidentFacts(
            reference=incident.reference,
            title=incident.title,
            severity=incident.severity,
            component=incident.component,
            description=incident.description,
            declared_at=incident.declared_at,
            acknowledged_at=incident.acknowledged_at,
            mitigated_at=incident.mitigated_at,
            failure_class=incident.failure_class,
            postmortem_page_id=incident.postmortem_page_id,
            first_alert=_alert_text(alert) if alert is not None else None,
            updates=tuple((at, text) for at, text in updates),
            people=tuple(people),
        )


def _alert_text(alert: Alert) -> str:
    labels = ", ".join(f"{k}={v}" for k, v in sorted(alert.labels.items())[:6])
    return f"Alert from {alert.source}: {alert.title}" + (f" ({labels})" if labels else "")


def _seconds(later: datetime | None, earlier: datetime) -> int | None:
    return max(int((later - earlier).total_seconds()), 0) if later is not None else None


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def truth_of(facts: IncidentFacts, root_cause: str | None) -> str:
    """The authors' root cause, else what the incident itself recorded."""
    if root_cause and root_cause.strip():
        return _clip(root_cause, 2500)
    parts = [f"The real {facts.reference}: {facts.title}."]
    if facts.failure_class:
        parts.append(f"Failure class: {facts.failure_class}.")
    if facts.updates:
        parts.append(f"Last update replayed: {facts.updates[-1][1]}")
    parts.append("(No root cause was written in its post-mortem; add it here.)")
    return _clip(" ".join(parts), 2500)


def replay_spec(
    facts: IncidentFacts, *, team: str = "red", root_cause: str | None = None
) -> dict[str, Any]:
    """The Game Day file (as data) that replays the incident for `team`."""
    acknowledged = _seconds(facts.acknowledged_at, facts.declared_at)
    mitigated = _seconds(facts.mitigated_at, facts.declared_at)
    symptom = facts.first_alert or facts.description.strip() or facts.title
    hints = [
        {
            "after": format_duration(max(_seconds(at, facts.declared_at) or 0, 60)),
            "text": _clip(text, 2500),
        }
        for at, text in facts.updates
        if text.strip()
    ]
    original: dict[str, Any] = {"incident": facts.reference}
    if acknowledged is not None:
        original["acknowledged_after"] = format_duration(acknowledged)
    if mitigated is not None:
        original["mitigated_after"] = format_duration(mitigated)
    scenario: dict[str, Any] = {
        "title": _clip(f"Replay of {facts.reference}: {facts.title}", 200),
        "team": team,
        "severity": facts.severity,
        "offset": "0s",
        "symptom": _clip(symptom, 2500),
        "hints": hints,
        "mitigate_within": format_duration(max(mitigated or DEFAULT_MITIGATE, 60)),
        "truth": truth_of(facts, root_cause),
    }
    if facts.component:
        scenario["component"] = facts.component
    scenario["replay_of"] = original
    players = [p for p in facts.people if p[:1] in ("U", "W")] or [PLACEHOLDER_PLAYER]
    return {
        "name": _clip(f"Replay of {facts.reference}", 120),
        "mode": "dungeon",
        "teams": {team: players},
        "facilitators": [],
        "scenarios": [scenario],
    }


def replay_yaml(spec: dict[str, Any], facts: IncidentFacts) -> str:
    """The file's text, checked against the spec before anything is written."""
    GameDaySpec.model_validate(spec)
    header = (
        f"# A Game Day replaying {facts.reference} ({facts.title}).\n"
        "# Written by `firefighter gameday from-incident`: swap the team for the people you\n"
        "# train, add facilitators, then `firefighter gameday check` and `gameday run`.\n"
    )
    return header + yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=100)
