"""The Game Day report: each scenario's timeline and truth, the scores, and room for lessons.

Built from the database in one short read, rendered with autoescaped Jinja2 templates into
Confluence storage format (checked to be well-formed) and a standalone HTML page. Like a
post-mortem, the page has an owner mark and an authors' part (lessons learned) that a later
export never overwrites.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from firefighter.gameday.board import Board, DrillResult
from firefighter.gameday.engine import GameDays
from firefighter.gameday.models import HINT, GameDay, GameDayStep
from firefighter.gameday.scoring import CATEGORIES, CATEGORY_LABELS
from firefighter.gameday.spec import Scenario, format_duration, from_stored
from firefighter.incidents.models import TimelineEvent
from firefighter.incidents.wording import event_words, plain
from firefighter.incidents.wording import people as named
from firefighter.postmortem.document import KIND_LABELS, Names
from firefighter.postmortem.render import check_storage, environment
from firefighter.text import format_duration as human_duration
from firefighter.text import mentioned_ids, slack_plain


@dataclass(frozen=True)
class Entry:
    """One line of a scenario's timeline."""

    at_utc: str
    since: str
    who: str
    what: str
    text: str


@dataclass(frozen=True)
class HintReport:
    """A hint and when it was released (or why not)."""

    after: str
    text: str
    released: str


@dataclass(frozen=True)
class ScenarioReport:
    """One scenario as played: its drill, its points, what really happened."""

    number: int
    title: str
    team: str
    severity: str
    reference: str
    status: str
    injected_utc: str
    expected: str
    symptom: str
    truth: str
    hints: tuple[HintReport, ...]
    points: tuple[tuple[str, int, str], ...]
    total: int
    timeline: tuple[Entry, ...]
    # A replayed incident: (what, the drill's time, the original's time) for each milestone.
    replay_of: str | None = None
    comparison: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class TeamRow:
    """A team's line in the scores table."""

    team: str
    points: tuple[int, ...]
    total: int
    hints: int = 0
    per_drill: str = ""


@dataclass(frozen=True)
class GameDayReport:
    """Everything the report shows, detached from the database."""

    id: int
    name: str
    mode: str
    started_utc: str
    ended_utc: str
    duration: str
    categories: tuple[str, ...]
    teams: tuple[TeamRow, ...]
    winner: str
    rules: tuple[str, ...]
    scenarios: tuple[ScenarioReport, ...]
    not_injected: tuple[str, ...]
    started_at: datetime

    @property
    def reference(self) -> str:
        """`GAMEDAY-3`: the name of its files."""
        return f"GAMEDAY-{self.id}"

    @property
    def title(self) -> str:
        """The page title."""
        day = self.started_at.astimezone(UTC).strftime("%Y-%m-%d")
        return f"Game Day report: {self.name} ({day})"

    @property
    def owner_mark(self) -> str:
        """A name only our page of this very Game Day carries."""
        stamp = self.started_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        return f"firefighter-gameday-{self.id}-{stamp}"


def _utc(at: datetime | None) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if at else "—"


def _since(start: datetime, at: datetime) -> str:
    seconds = int((at - start).total_seconds())
    return ("+" if seconds >= 0 else "−") + format_duration(abs(seconds))


def _took(delta: timedelta | None) -> str:
    return human_duration(delta.total_seconds()) if delta is not None else "not reached"


def comparison(scenario: Scenario, drill: DrillResult) -> tuple[tuple[str, str, str], ...]:
    """A replayed incident's times beside the drill's: (milestone, drill, original)."""
    original = scenario.replay_of
    if original is None:
        return ()

    def theirs(seconds: int | None) -> str:
        return human_duration(seconds) if seconds is not None else "not recorded"

    return (
        (
            "Time to acknowledge",
            _took(drill.acknowledged_after),
            theirs(original.acknowledged_after),
        ),
        ("Time to mitigate", _took(drill.mitigated_after), theirs(original.mitigated_after)),
    )


def _comparison(scenario: Scenario, drill: DrillResult) -> dict[str, Any]:
    if scenario.replay_of is None:
        return {}
    return {"replay_of": scenario.replay_of.incident, "comparison": comparison(scenario, drill)}


def _winner(board: Board) -> str:
    if not board.teams or board.teams[0].points == 0:
        return "nobody scored"
    best = board.teams[0].points
    leaders = [t.team for t in board.teams if t.points == best]
    return f"{' and '.join(leaders)} ({best} pts)"


def build_report(
    gamedays: GameDays, gameday_id: int, *, names: Names | None = None
) -> GameDayReport:
    """Read a Game Day, its drills and their timelines, and score them.

    `names` (the core's `People.names`) names the players, who act and who are mentioned;
    it is asked after the read, so a slow Slack lookup never holds the session open. An id
    it does not know is shown as it is.
    """
    board = gamedays.board(gameday_id)
    with gamedays.factory() as session:
        gameday = session.get(GameDay, gameday_id)
        assert gameday is not None  # board() found it
        spec = from_stored(gameday.spec)
        steps = list(
            session.scalars(select(GameDayStep).where(GameDayStep.gameday_id == gameday_id))
        )
        drill_ids = [d.incident_id for d in board.drills]
        events = list(
            session.scalars(
                select(TimelineEvent)
                .where(TimelineEvent.incident_id.in_(drill_ids))
                .order_by(TimelineEvent.at, TimelineEvent.id)
            )
        )
    started = gameday.started_at or gameday.loaded_at
    people = {e.actor for e in events if e.actor}
    people.update(user for e in events for user in mentioned_ids(e.text))
    people.update(user for e in events for user in named(event_words(e.text, e.data)))
    known = dict(names(people)) if names is not None and people else {}
    hints = {(s.scenario, s.key): s for s in steps if s.kind == HINT}
    scenarios: list[ScenarioReport] = []
    for drill in board.drills:
        scenario = spec.scenarios[drill.index]
        declared = next(
            (e.at for e in events if e.incident_id == drill.incident_id and e.kind == "declared"),
            started,
        )
        released: list[HintReport] = []
        timeline = [
            Entry(
                _utc(e.at),
                _since(declared, e.at),
                (known.get(e.actor) or e.actor) if e.actor else "FireFighter",
                KIND_LABELS.get(e.kind, e.kind.replace("_", " ").capitalize()),
                plain(event_words(e.text, e.data), known, lambda t: slack_plain(t, known)),
            )
            for e in events
            if e.incident_id == drill.incident_id
        ]
        for number, hint in enumerate(scenario.hints):
            step = hints.get((drill.index, f"hint:{drill.index}:{number}"))
            if step is not None and step.done_at is not None and not step.note:
                when = _utc(step.done_at)
                timeline.append(
                    Entry(when, _since(declared, step.done_at), "FireFighter", "Hint", hint.text)
                )
            else:
                when = step.note if step is not None and step.note else "not released"
            released.append(HintReport(format_duration(hint.after), hint.text, when))
        timeline.sort(key=lambda entry: entry.at_utc)
        scenarios.append(
            ScenarioReport(
                number=drill.index + 1,
                title=scenario.title,
                team=drill.team,
                severity=drill.severity,
                reference=drill.reference,
                status=drill.status,
                injected_utc=_utc(declared),
                expected=human_duration(drill.expected.total_seconds()),
                symptom=scenario.symptom,
                truth=scenario.truth,
                hints=tuple(released),
                points=tuple(
                    (CATEGORY_LABELS[c], drill.score.points[c], drill.score.reasons[c])
                    for c in CATEGORIES
                ),
                total=drill.score.total,
                timeline=tuple(timeline),
                **_comparison(scenario, drill),
            )
        )
    injected = {d.index for d in board.drills}
    ended = gameday.ended_at or board.as_of
    return GameDayReport(
        id=gameday.id,
        name=gameday.name,
        mode=gameday.mode,
        started_utc=_utc(started),
        ended_utc=_utc(gameday.ended_at) if gameday.ended_at else "still running",
        duration=human_duration((ended - started).total_seconds()),
        categories=tuple(CATEGORY_LABELS[c] for c in CATEGORIES),
        teams=tuple(
            TeamRow(
                t.team,
                tuple(t.category(c) for c in CATEGORIES),
                t.points,
                sum(d.score.penalty for d in t.drills),
                f"{t.per_drill:g}",
            )
            for t in board.teams
        ),
        winner=_winner(board),
        rules=board.rules,
        scenarios=tuple(scenarios),
        not_injected=tuple(s.title for i, s in enumerate(spec.scenarios) if i not in injected),
        started_at=started,
    )


def render_storage(report: GameDayReport, *, chart_filename: str | None = None) -> str:
    """The report in Confluence storage format, starting with its owner mark."""
    body = (
        environment()
        .get_template("gameday_report.storage.xml.j2")
        .render(report=report, chart=chart_filename)
    )
    check_storage(body)
    return body


def render_html(report: GameDayReport, *, chart_src: str | None = None) -> str:
    """A standalone HTML page with the same sections."""
    template = environment().get_template("gameday_report.html.j2")
    return template.render(report=report, chart=chart_src)
