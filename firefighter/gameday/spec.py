"""The Game Day file: YAML validated by pydantic, every mistake reported with its line.

The YAML is composed into nodes first, so the line of every mapping key and sequence item is
known; pydantic's error locations (`scenarios.1.severity`) are then mapped back to lines.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from croniter import croniter
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from firefighter.yaml_files import (
    Loc,
    Problem,
    SpecError,
    parse_yaml,
    read_text,
    validation_problems,
    where,
)

_DURATION = re.compile(r"(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m(?:in)?)?(?:(?P<s>\d+)s)?")


def parse_duration(value: Any) -> int:
    """`90s`, `10m`, `1h30m` (spaces allowed) as seconds; ValueError otherwise."""
    if isinstance(value, int) and not isinstance(value, bool) and value == 0:
        return 0
    text = re.sub(r"\s+", "", value.lower()) if isinstance(value, str) else ""
    match = _DURATION.fullmatch(text)
    if not text or match is None:
        raise ValueError(f"{value!r} is not a duration; write one such as 90s, 10m or 1h30m")
    return sum(
        int(match.group(unit) or 0) * size for unit, size in (("h", 3600), ("m", 60), ("s", 1))
    )


def format_duration(seconds: int) -> str:
    """Seconds in the file's own notation: `1h30m`, `10m`, `45s`, `0s`."""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "")
    return text + (f"{secs}s" if secs or not text else "")


Duration = Annotated[
    int,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
]
UserId = Annotated[str, StringConstraints(pattern=r"^[UW][A-Z0-9_]{2,31}$")]
GroupId = Annotated[str, StringConstraints(pattern=r"^S[A-Z0-9_]{2,31}$")]
TeamName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9 _-]{0,39}$")]
Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Prose = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2500)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Hint(_Strict):
    """A hint released in the drill's channel `after` the injection."""

    after: Duration
    text: Prose


class Team(_Strict):
    """Players: a Slack user group or a list of users; in informed mode, their theme."""

    members: list[UserId] = Field(default_factory=list)
    usergroup: GroupId | None = None
    theme: Prose | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        # `red: [U1, U2]` and `blue: S0BLUE` are the short forms of members and usergroup.
        if isinstance(value, list):
            return {"members": value}
        if isinstance(value, str):
            return {"usergroup": value}
        return value

    @model_validator(mode="after")
    def _one_source(self) -> Team:
        if bool(self.members) == bool(self.usergroup):
            raise ValueError(
                "give either members (a list of U… user ids) or usergroup (an S… id), not both"
            )
        return self

    @property
    def ids(self) -> list[str]:
        """The Slack ids to invite: the user group, or the members."""
        return [self.usergroup] if self.usergroup else list(self.members)


class Original(_Strict):
    """The real incident a scenario replays, and how long it took to handle."""

    incident: Annotated[str, StringConstraints(pattern=r"^INC-\d+$")]
    acknowledged_after: Duration | None = None
    mitigated_after: Duration | None = None


class Scenario(_Strict):
    """One incident a facilitator injects as a drill for a team."""

    title: Line
    team: str
    severity: str
    offset: Duration
    symptom: Prose
    hints: list[Hint] = Field(default_factory=list, max_length=10)
    mitigate_within: Duration
    truth: Prose
    # The component the scenario plays: chaos results on it show on the board.
    component: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    # A replayed incident: its own times, which the report compares with the drill's.
    replay_of: Original | None = None

    @field_validator("severity")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.strip().upper()

    @field_validator("mitigate_within")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("the expected time to mitigate must be longer than 0s")
        return value


class GameDaySpec(_Strict):
    """A whole Game Day: who plays, what is injected when, and how it is judged."""

    name: Line
    mode: Literal["informed", "dungeon"]
    teams: dict[TeamName, Team] = Field(min_length=1, max_length=20)
    scenarios: list[Scenario] = Field(min_length=1, max_length=50)
    facilitators: list[UserId] = Field(default_factory=list)
    update_every: Duration = 15 * 60
    duration: Duration | None = None
    # A cron expression (in the configured time zone): the scheduler starts the Game Day then,
    # after telling its teams `announce_before`, unless the chaos gate is closed.
    schedule: str | None = None
    announce_before: Duration = 60 * 60

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = " ".join(value.split())
        if len(value.split()) != 5 or not croniter.is_valid(value):
            raise ValueError(
                f"{value!r} is not a cron schedule; write five fields such as '0 10 * * 4' "
                "(Thursdays at 10:00)"
            )
        return value

    def team(self, name: str) -> Team:
        """The team called `name` (KeyError if unknown)."""
        return self.teams[name]


_KNOWN_KEYS = sorted(
    {name for model in (Hint, Team, Scenario, GameDaySpec, Original) for name in model.model_fields}
)


def _message(error: dict[str, Any]) -> str:
    kind = error["type"]
    if kind == "missing":
        return "required, but missing"
    if kind == "extra_forbidden":
        key = str(error["loc"][-1])
        close = difflib.get_close_matches(key, _KNOWN_KEYS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else "; remove it or check its spelling"
        return f"unknown key {key!r}{hint}"
    if kind == "string_pattern_mismatch":
        return f"{error['input']!r} is not valid here ({_pattern_help(error['loc'])})"
    message = str(error["msg"])
    if message.startswith("Value error, "):
        return message.removeprefix("Value error, ")
    return message[0].lower() + message[1:]


def _pattern_help(loc: Loc) -> str:
    if "usergroup" in loc:
        return "a Slack user group id such as S0123ABCD"
    if "[key]" in loc:
        return "a team name: letters, digits, spaces, - and _, up to 40 characters"
    return "a Slack user id such as U0123ABCD"


def _cross_checks(data: dict[str, Any], severities: Sequence[str]) -> list[tuple[Loc, str]]:
    """Mistakes pydantic cannot see alone: unknown teams and severities, missing themes."""
    found: list[tuple[Loc, str]] = []
    raw_teams = data.get("teams")
    teams: dict[Any, Any] = raw_teams if isinstance(raw_teams, dict) else {}
    names = [str(name) for name in teams]
    raw_scenarios = data.get("scenarios")
    scenarios: list[Any] = raw_scenarios if isinstance(raw_scenarios, list) else []
    used: set[str] = set()
    for index, scenario in enumerate(scenarios):
        if not isinstance(scenario, dict):
            continue
        team = scenario.get("team")
        if isinstance(team, str):
            used.add(team)
            if names and team not in names:
                known = ", ".join(names)
                found.append(
                    (("scenarios", index, "team"), f"unknown team {team!r}; teams are: {known}")
                )
        severity = scenario.get("severity")
        if isinstance(severity, str) and severities and severity.strip().upper() not in severities:
            choices = ", ".join(severities)
            found.append(
                (
                    ("scenarios", index, "severity"),
                    f"unknown severity {severity!r}; choose one of {choices}",
                )
            )
    for name, team in teams.items():
        if data.get("mode") == "informed" and not (isinstance(team, dict) and team.get("theme")):
            found.append(
                (
                    ("teams", str(name), "theme"),
                    "informed mode: give each team the theme it is told",
                )
            )
        if scenarios and str(name) not in used:
            found.append((("teams", str(name)), "no scenario is for this team; give it one"))
    return found


def parse_spec(
    text: str, *, source: str = "<game day>", severities: Sequence[str] = ()
) -> GameDaySpec:
    """Validate a Game Day file's text; SpecError lists every mistake with its line."""
    data, lines = parse_yaml(text, source)
    if lines is None or not isinstance(data, dict):
        raise SpecError(
            source, [Problem(1, "", "expected a mapping with name, mode, teams and scenarios")]
        )
    problems: dict[str, Problem] = {p.where: p for p in lines.duplicates}
    try:
        spec = GameDaySpec.model_validate(data)
    except ValidationError as error:
        spec = None
        for problem in validation_problems(error, lines, lambda item, _: _message(item)):
            problems.setdefault(problem.where, problem)
    for loc, message in _cross_checks(data, [s.upper() for s in severities]):
        problems.setdefault(where(loc), Problem(lines.of(loc), where(loc), message))
    if problems or spec is None:
        ordered = sorted(problems.values(), key=lambda p: (p.line or 0, p.where))
        raise SpecError(source, ordered)
    return spec


def load_spec_file(path: Path, *, severities: Sequence[str] = ()) -> GameDaySpec:
    """Read and validate a Game Day file; SpecError (with lines) if it has mistakes."""
    return parse_spec(read_text(path), source=str(path), severities=severities)


def from_stored(data: dict[str, Any]) -> GameDaySpec:
    """A spec stored by `GameDaySpec.model_dump(mode="json")`, validated again."""
    return GameDaySpec.model_validate(data)
