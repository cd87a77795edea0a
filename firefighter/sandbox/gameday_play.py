"""`firefighter gameday run FILE --fast`: a whole Game Day against the Slack emulator.

The bot runs in-process (Bolt behind a local HTTP server, the outbox and the Game Day tick in
this loop) on a throw-away SQLite file, with a clock that runs `speed` times faster than the
wall clock. A script plays the teams through signed slash commands, as Slack would send them:
the first team is sharp, the others slower, so the scoreboard has something to show.
"""

from __future__ import annotations

import io
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select

from firefighter.bootstrap import Core, build_core
from firefighter.db import utcnow
from firefighter.emulators.slack import SlackDriver, SlackEmulator
from firefighter.gameday.engine import GameDays
from firefighter.gameday.models import ENDED, INJECT, GameDayStep
from firefighter.gameday.scoring import CATEGORIES, CATEGORY_LABELS
from firefighter.gameday.spec import GameDaySpec, from_stored
from firefighter.incidents import lifecycle
from firefighter.incidents.models import Incident
from firefighter.outbox import Dispatcher, pending_count
from firefighter.postmortem.gameday_report import comparison
from firefighter.sandbox.chaos_demo import post_demo_results
from firefighter.sandbox.database import fresh_sqlite
from firefighter.settings import Settings
from firefighter.stats import measure

# The board is redrawn at most once per real second, as Slack's rate limits want.
BOARD_REAL_SECONDS = 1.0
REAL_TIMEOUT = 300.0


class FastClock:
    """Now, as seen by a bot whose time runs `speed` times faster than the wall clock."""

    def __init__(self, speed: float, start: datetime | None = None) -> None:
        self.speed = speed
        self.start = start or utcnow()
        self.origin = time.monotonic()

        self.wall_origin = time.time()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=(time.monotonic() - self.origin) * self.speed)

    def game_time(self, wall: float) -> float:
        """The game's epoch seconds when the wall clock said `wall` (transcript stamps)."""
        return self.start.timestamp() + (wall - self.wall_origin) * self.speed


@dataclass
class Move:
    """One thing a player does, `at` game seconds after the drill was injected."""

    at: float
    user: int
    text: str
    named: int = 0
    """The player whose mention replaces `{who}` in the text."""
    ready: Callable[[Incident], bool] = field(default=lambda _incident: True)


def script(sharp: bool, members: int, expected: float, postmortem: bool) -> list[Move]:
    """What a team does with one drill: a sharp team is quick and thorough, others less so."""
    second = 1 % members
    third = 2 % members
    minute = 60.0
    if sharp:
        moves = [
            Move(1 * minute, 0, "role commander {who}"),
            Move(2 * minute, 0, "update Looking at the dashboards and the last deploys."),
            Move(3 * minute, 0, "role comms {who}", second),
            Move(3.5 * minute, 0, "role scribe {who}", third),
            Move(4 * minute, second, "investigating"),
            Move(9 * minute, second, "update Found a suspect change; preparing a rollback."),
            Move(12 * minute, 0, "mitigating"),
            Move(min(16 * minute, expected * 0.6), second, "update Rollback half done."),
            Move(expected * 0.75, 0, "mitigated"),
        ]
    else:
        moves = [
            Move(7 * minute, 0, "role commander {who}"),
            Move(9 * minute, 0, "role comms {who}", second),
            Move(10 * minute, 0, "investigating"),
            Move(24 * minute, 0, "update Still digging; the logs are noisy."),
            Move(expected * 1.1, 0, "mitigating"),
            Move(expected * 1.4, 0, "mitigated"),
        ]
    last = moves[-1].at
    if postmortem:
        moves += [
            Move(last + minute, 0, "postmortem"),
            Move(last + 2 * minute, 0, "close", ready=lambda i: i.postmortem_url is not None),
        ]
    else:
        moves.append(Move(last + minute, 0, "close"))
    return moves


class Players:
    """The teams, played by a script: each injected drill gets its moves in game time."""

    def __init__(
        self,
        core: Core,
        driver: SlackDriver,
        spec: GameDaySpec,
        gameday_id: int,
        members: dict[str, list[str]],
    ) -> None:
        self.core = core
        self.driver = driver
        self.spec = spec
        self.gameday_id = gameday_id
        self.members = members
        self.scripts: dict[int, list[Move]] = {}

    def play(self) -> None:
        """Make every move that is due now."""
        now = self.core.service.clock()
        with self.core.factory() as session:
            rows = session.execute(
                select(GameDayStep.scenario, Incident)
                .join(Incident, Incident.id == GameDayStep.incident_id)
                .where(GameDayStep.gameday_id == self.gameday_id, GameDayStep.kind == INJECT)
            ).all()
        for index, drill in rows:
            if not drill.channel_id or drill.status == lifecycle.CLOSED:
                continue
            scenario = self.spec.scenarios[int(index or 0)]
            team = scenario.team
            people = self.members[team]
            moves = self.scripts.setdefault(
                drill.id,
                script(
                    sharp=team == next(iter(self.spec.teams)),
                    members=len(people),
                    expected=float(scenario.mitigate_within),
                    postmortem=self.core.service.postmortem_required(drill.severity),
                ),
            )
            while moves and now >= drill.declared_at + timedelta(seconds=moves[0].at):
                if not moves[0].ready(drill):
                    break
                move = moves.pop(0)
                text = move.text.format(who=f"<@{people[move.named]}>")
                self.driver.slash_command(text, people[move.user], drill.channel_id)
                break  # one move per drill per round: the next round sees its effects


def _name(user_id: str) -> str:
    return re.sub(r"^[UW]\d*", "", user_id).lower() or user_id.lower()


def _cast(emulator: SlackEmulator, spec: GameDaySpec) -> dict[str, list[str]]:
    """Create the players in the emulator; user groups get two invented members each."""
    members: dict[str, list[str]] = {}
    for name, team in spec.teams.items():
        if team.usergroup:
            ids = [f"U{team.usergroup[1:]}{n}" for n in (1, 2)]
            for number, user_id in enumerate(ids, start=1):
                emulator.add_user(user_id, f"{name.lower()}-{number}")
            emulator.add_usergroup(team.usergroup, name.lower(), ids)
        else:
            ids = list(team.members)
            for user_id in ids:
                emulator.add_user(user_id, _name(user_id))
        members[name] = ids
    for user_id in spec.facilitators:
        emulator.add_user(user_id, _name(user_id))
    return members


def _print_board(console: Console, gamedays: GameDays, gameday_id: int) -> None:
    board = gamedays.board(gameday_id)
    table = Table(
        "Rank",
        "Team",
        *(CATEGORY_LABELS[c] for c in CATEGORIES),
        "Hints",
        "Total",
        "Per drill",
        title=f"{board.name}: final scores",
    )
    for rank, team in enumerate(board.teams, start=1):
        table.add_row(
            str(rank),
            escape(team.team),
            *(str(team.category(c)) for c in CATEGORIES),
            f"−{sum(d.score.penalty for d in team.drills)}",
            f"[bold]{team.points}[/]",
            f"{team.per_drill:g}",
        )
    console.print(table)
    spec = from_stored(gamedays.get(gameday_id).spec)
    for drill in board.drills:
        console.print(
            f"  {drill.reference} {escape(drill.title)} (team {escape(drill.team)}): "
            f"{drill.score.total} pts — " + "; ".join(drill.score.reasons[c] for c in CATEGORIES),
            highlight=False,
        )
        scenario = spec.scenarios[drill.index]
        if scenario.replay_of is not None:
            # A replayed incident: the drill's times beside the real incident's.
            real = scenario.replay_of.incident
            for what, drilled, original in comparison(scenario, drill):
                console.print(
                    f"    {what}: drill {drilled}, the real {real} {original}", highlight=False
                )


def _print_resilience(console: Console, core: Core) -> None:
    metrics = measure(core.factory, core.settings, now=core.service.clock(), days=7)
    table = Table("Component", "Score", "Experiments", "Stale", "Failed", title="Resilience score")
    for component, found in metrics.resilience.items():
        table.add_row(
            escape(component),
            "-" if found.score is None else f"{found.score:g}",
            str(found.experiments),
            str(found.stale),
            str(found.failed),
        )
    console.print(table)
    console.print(
        "  Σ(weight × probe success %) / Σ weight over each experiment's latest run in the last "
        f"{core.settings.resilience_days} days; a run older than 30 days counts at half.",
        highlight=False,
    )


def play_fast(
    spec: GameDaySpec, *, source: str, out_dir: str, console: Console, speed: float = 120.0
) -> None:
    """Play `spec` against the emulator with time compressed; print the board and files."""
    from firefighter.bootstrap import build_app, build_dispatcher, http_app
    from firefighter.sandbox.transcript import render_transcript
    from firefighter.slack.client import make_client
    from firefighter.web import BackgroundServer

    began = time.monotonic()
    folder = Path(out_dir).resolve()
    database, url = fresh_sqlite(folder, "gameday.db")
    secret = secrets.token_hex(16)
    with SlackEmulator() as emulator:
        members = _cast(emulator, spec)
        everyone = [u for ids in members.values() for u in ids] + list(spec.facilitators)
        incidents = emulator.add_channel("incidents", members=everyone)
        gameday_channel = emulator.add_channel("gameday", members=everyone)
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=url,
            slack_bot_token=emulator.bot_token,
            slack_signing_secret=secret,
            slack_api_url=emulator.api_url,
            slack_app_token=None,
            incidents_channel=incidents,
            gameday_channel=gameday_channel,
            postmortem_dir=folder / "reports",
            confluence_url=None,
            gameday_board_seconds=BOARD_REAL_SECONDS * speed,
            chaos_token=secret,
        )
        clock = FastClock(speed)
        core = build_core(settings, clock=clock)
        client = make_client(settings)
        server = BackgroundServer(http_app(core, build_app(core, client))).start()
        try:
            driver = SlackDriver(emulator, f"{server.url}/slack/events", secret)
            dispatcher = build_dispatcher(core, client)
            gamedays = core.gamedays()
            loaded = gamedays.load(spec, source=source, actor=None)
            facilitator = (spec.facilitators or everyone)[0]
            console.print(
                f"Slack emulator on {emulator.base_url}; the bot on {server.url}; "
                f"1 real second = {speed:g} game seconds.",
                highlight=False,
            )
            driver.slash_command(f"gameday start #{loaded.id}", facilitator, gameday_channel)
            components = list(dict.fromkeys(s.component for s in spec.scenarios if s.component))
            if components:
                # Chaos experiments' results, posted as the tools would: shown on the board.
                recorded = post_demo_results(server.url, secret, components, core.service.clock())
                console.print(
                    f"Posted {recorded} sample chaos results for {', '.join(components)}.",
                    highlight=False,
                )
            players = Players(core, driver, spec, loaded.id, members)
            _loop(core, gamedays, dispatcher, players, loaded.id)
            _print_board(console, gamedays, loaded.id)
            if components:
                _print_resilience(console, core)
            report = gamedays.get(loaded.id).report_url
        finally:
            server.stop()
            core.close()
        transcript = render_transcript(
            emulator,
            Console(file=io.StringIO(), width=120),
            clock=clock.game_time,
            zone=settings.zone,
        )
    (folder / "transcript.txt").write_text(transcript, encoding="utf-8")
    _print_files(console, folder, database, report)
    console.print(f"Played in {time.monotonic() - began:.1f} s of wall time.", highlight=False)


def _print_files(console: Console, folder: Path, database: Path, report: str | None) -> None:
    console.rule("Files")
    if report:
        # A link a terminal opens (OSC 8), the URL itself as its text.
        console.print(
            f"Report        [link={escape(report)}]{escape(report)}[/link]", highlight=False
        )
    for path in sorted((folder / "reports").iterdir()):
        if path.name.lower().startswith("gameday-") and path.suffix != ".html":
            console.print(f"              {path}", highlight=False)
    console.print(f"Transcript    {folder / 'transcript.txt'}", highlight=False)
    console.print(f"Database      {database}", highlight=False)


def _loop(
    core: Core, gamedays: GameDays, dispatcher: Dispatcher, players: Players, gameday_id: int
) -> None:
    """Tick, deliver and play until the Game Day is over and every effect delivered."""
    deadline = time.monotonic() + REAL_TIMEOUT
    while time.monotonic() < deadline:
        gamedays.tick()
        dispatcher.drain()
        if gamedays.get(gameday_id).status == ENDED:
            with core.factory() as session:
                if pending_count(session) == 0:
                    return
        else:
            players.play()
        time.sleep(0.02)
    raise RuntimeError(f"the Game Day did not finish within {REAL_TIMEOUT:.0f} s")
