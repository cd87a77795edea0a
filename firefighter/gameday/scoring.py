"""Points for a drill, from its milestones and timeline: pure functions, no database.

A drill scores at most 100 points: acknowledging fast, mitigating within the expected time,
posting updates at the expected cadence, filling the roles, and writing the post-mortem.
Each hint released before the drill was mitigated costs HINT_COST points.

Fairness between teams: teams are ranked by their average points per drill (a team given
more drills does not win by volume), and a team of fewer than three players, which cannot
hold all three roles, has its role points scaled to the roles it can hold.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from firefighter.text import format_duration, plural

ROLE_POINTS = {"commander": 4, "communications": 3, "scribe": 3}
HINT_COST = 5
CATEGORIES = ("acknowledge", "mitigate", "updates", "roles", "postmortem")
CATEGORY_LABELS = {
    "acknowledge": "Acknowledge",
    "mitigate": "Mitigate",
    "updates": "Updates",
    "roles": "Roles",
    "postmortem": "Post-mortem",
}


@dataclass(frozen=True)
class DrillFacts:
    """What happened in one drill, read from the incident and its timeline."""

    declared_at: datetime
    acknowledged_at: datetime | None
    mitigated_at: datetime | None
    updates: Sequence[datetime]
    roles: frozenset[str]
    postmortem_written: bool
    hints_released: int = 0
    """Hints released before the drill was mitigated: each costs HINT_COST points."""
    team_size: int | None = None
    """Players in the team (None: a user group, assumed to be three or more)."""


@dataclass(frozen=True)
class DrillScore:
    """Points per category for one drill, and a short reason for each."""

    points: dict[str, int]
    reasons: dict[str, str] = field(default_factory=dict)
    penalty: int = 0
    """Points taken off for the hints released (never below a total of 0)."""

    @property
    def total(self) -> int:
        """All categories added up, less the hints' cost."""
        return max(sum(self.points.values()) - self.penalty, 0)


def _minutes(delta: timedelta) -> str:
    # The one rounding rule of every duration people read (text.duration_parts).
    return format_duration(max(delta.total_seconds(), 0.0))


def acknowledge_points(facts: DrillFacts) -> tuple[int, str]:
    """20 within 5 min of the injection, 10 within 15 min, 5 later, 0 not yet."""
    if facts.acknowledged_at is None:
        return 0, "not acknowledged"
    waited = facts.acknowledged_at - facts.declared_at
    text = f"acknowledged after {_minutes(waited)}"
    if waited <= timedelta(minutes=5):
        return 20, text
    if waited <= timedelta(minutes=15):
        return 10, text
    return 5, text


def mitigate_points(facts: DrillFacts, expected: timedelta) -> tuple[int, str]:
    """40 within the expected time, 25 within 1.5×, 15 within 2×, 5 later, 0 not yet."""
    if facts.mitigated_at is None:
        return 0, "not mitigated"
    took = facts.mitigated_at - facts.declared_at
    text = f"mitigated after {_minutes(took)} (expected {_minutes(expected)})"
    for factor, points in ((1.0, 40), (1.5, 25), (2.0, 15)):
        if took <= expected * factor:
            return points, text
    return 5, text


def update_points(facts: DrillFacts, cadence: timedelta, as_of: datetime) -> tuple[int, str]:
    """15 if no silence exceeded the cadence, 8 if none exceeded twice it, 3 if any update.

    Silences run from the injection to the first update, between updates, and from the last
    update to mitigation (or to now while the drill is unmitigated).
    """
    end = facts.mitigated_at or as_of
    times = sorted(t for t in facts.updates if t <= end)
    if not times:
        return 0, "no update"
    marks = [facts.declared_at, *times, end]
    longest = max(later - earlier for earlier, later in itertools.pairwise(marks))
    text = f"{plural(len(times), 'update')}, longest silence {_minutes(longest)}"
    if longest <= cadence:
        return 15, text
    if longest <= cadence * 2:
        return 8, text
    return 3, text


def role_points(facts: DrillFacts) -> tuple[int, str]:
    """4 for a commander, 3 for a communications lead, 3 for a scribe.

    A team of n < 3 players can hold only n roles: its points are scaled to the best it could
    reach (a lone player holding the commander role gets the full 10).
    """
    held = [role for role in ROLE_POINTS if role in facts.roles]
    points = sum(ROLE_POINTS[role] for role in held)
    text = ", ".join(held) if held else "no role filled"
    full = sum(ROLE_POINTS.values())
    if facts.team_size is not None and 0 < facts.team_size < len(ROLE_POINTS):
        best = sum(sorted(ROLE_POINTS.values(), reverse=True)[: facts.team_size])
        scaled = min(round(points * full / best), full)
        if scaled != points:
            text += f" (scaled for a team of {facts.team_size})"
        points = scaled
    return points, text


def postmortem_points(facts: DrillFacts) -> tuple[int, str]:
    """15 once the drill's post-mortem is published."""
    if facts.postmortem_written:
        return 15, "post-mortem written"
    return 0, "no post-mortem yet"


def score(
    facts: DrillFacts, *, expected: timedelta, cadence: timedelta, as_of: datetime
) -> DrillScore:
    """The points of one drill as of `as_of`."""
    parts = {
        "acknowledge": acknowledge_points(facts),
        "mitigate": mitigate_points(facts, expected),
        "updates": update_points(facts, cadence, as_of),
        "roles": role_points(facts),
        "postmortem": postmortem_points(facts),
    }
    return DrillScore(
        points={name: value[0] for name, value in parts.items()},
        reasons={name: value[1] for name, value in parts.items()},
        penalty=HINT_COST * facts.hints_released,
    )


def rules(cadence: timedelta) -> list[str]:
    """The scoring rules, one line per category, as shown with the board and the report."""
    every = _minutes(cadence)
    return [
        "Acknowledge (take the commander role or post an update): 20 pts within 5 min, "
        "10 within 15 min, 5 later.",
        "Mitigate, against the scenario's expected time: 40 pts on time, 25 within 1.5×, "
        "15 within 2×, 5 later.",
        f"Updates: 15 pts if no silence is longer than {every}, 8 if none is longer than "
        "twice that, 3 for any update.",
        "Roles: commander 4 pts, communications lead 3, scribe 3 (a team of fewer than 3 "
        "players: scaled to the roles it can hold).",
        "Post-mortem published: 15 pts.",
        f"Hints: each hint released before mitigation costs {HINT_COST} pts.",
        "Teams are ranked by their average points per drill.",
    ]
