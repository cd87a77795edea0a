"""`firefighter gameday …`: check, load, start, run (or play `--fast`), stop, list, and
write a scenario file that replays a closed incident (`from-incident`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from firefighter.cli.common import core, err, fail, handled, out
from firefighter.gameday.replay import read_incident, replay_spec, replay_yaml
from firefighter.gameday.spec import GameDaySpec, format_duration, load_spec_file
from firefighter.postmortem.root_cause import read_root_cause
from firefighter.settings import load_settings
from firefighter.text import plural
from firefighter.yaml_files import SpecError

app = typer.Typer(
    help="Game Days: drills from a scenario file, scored on a live board.", no_args_is_help=True
)

FILE = Annotated[Path, typer.Argument(help="The Game Day file (YAML).")]
NAME = Annotated[str | None, typer.Argument(help="Its name (or #id); optional if only one.")]


def _spec(path: Path, severities: list[str]) -> GameDaySpec:
    """The validated file, or every mistake on stderr and exit code 1."""
    try:
        return load_spec_file(path, severities=severities)
    except SpecError as error:
        count = len(error.problems)
        err.print(f"[bold red]error:[/] {escape(str(path))} has {plural(count, 'mistake')}:")
        for problem in error.problems:
            err.print(escape(problem.render(str(path))), highlight=False)
        raise typer.Exit(1) from None


def _summary(spec: GameDaySpec) -> Table:
    table = Table("#", "At", "Team", "Severity", "Scenario", "Mitigate within", "Hints")
    for number, scenario in enumerate(spec.scenarios, start=1):
        table.add_row(
            str(number),
            f"+{format_duration(scenario.offset)}",
            escape(scenario.team),
            scenario.severity,
            escape(scenario.title),
            format_duration(scenario.mitigate_within),
            str(len(scenario.hints)),
        )
    return table


@app.command("check")
def check(path: FILE) -> None:
    """Validate a Game Day file; every mistake is shown with its line."""
    with handled():
        spec = _spec(path, load_settings().severity_names)
    out.print(
        f"{escape(str(path))} is valid: Game Day [bold]{escape(spec.name)}[/] "
        f"({spec.mode} mode), {plural(len(spec.teams), 'team')}, "
        f"{plural(len(spec.scenarios), 'scenario')}.",
        highlight=False,
    )
    out.print(_summary(spec))


@app.command("load")
def load(path: FILE) -> None:
    """Store a Game Day file so that `/incident gameday start NAME` can start it."""
    with core() as opened:
        spec = _spec(path, opened.settings.severity_names)
        loaded = opened.gamedays().load(spec, source=str(path), actor=None)
        command = opened.settings.command
    out.print(
        f"Loaded Game Day [bold]{escape(loaded.name)}[/] (#{loaded.id}). Start it in Slack "
        f"with `{command} gameday start {escape(loaded.name)}`, or with "
        f"`firefighter gameday start {loaded.id}`.",
        highlight=False,
    )


@app.command("start")
def start(name: NAME = None) -> None:
    """Start a loaded Game Day; the worker injects its drills on schedule."""
    with core() as opened:
        started = opened.gamedays().start(name, actor=None)
    out.print(
        f"Game Day [bold]{escape(started.name)}[/] started; its scoreboard goes to "
        f"channel {started.channel_id}. A running `firefighter worker` (or `serve`) "
        "injects the drills and releases the hints.",
        highlight=False,
    )


@app.command("run")
def run_file(
    path: FILE,
    fast: Annotated[
        bool,
        typer.Option(
            "--fast",
            help="Play it now against a Slack emulator, teams played by a script, time compressed.",
        ),
    ] = False,
    speed: Annotated[
        float, typer.Option(help="With --fast: game seconds per real second.", min=1)
    ] = 120.0,
    output: Annotated[str, typer.Option(help="With --fast: folder for its files.")] = (
        "demo-output/gameday"
    ),
) -> None:
    """Load a Game Day file and start it (or, with --fast, play it against the emulator)."""
    if fast:
        from firefighter.sandbox.gameday_play import play_fast

        with handled():
            spec = _spec(path, load_settings().severity_names)
            play_fast(spec, source=str(path), out_dir=output, console=out, speed=speed)
        return
    with core() as opened:
        spec = _spec(path, opened.settings.severity_names)
        gamedays = opened.gamedays()
        loaded = gamedays.load(spec, source=str(path), actor=None)
        started = gamedays.start(str(loaded.id), actor=None)
    out.print(
        f"Game Day [bold]{escape(started.name)}[/] (#{started.id}) started; its scoreboard "
        f"goes to channel {started.channel_id}. A running `firefighter worker` (or `serve`) "
        "injects the drills and releases the hints.",
        highlight=False,
    )


@app.command("stop")
def stop(name: NAME = None) -> None:
    """End the running Game Day: final board, chart, truths and report follow."""
    with core() as opened:
        stopped = opened.gamedays().stop(name, actor=None)
    out.print(f"Game Day [bold]{escape(stopped.name)}[/] is over.", highlight=False)


@app.command("list")
def list_gamedays() -> None:
    """Game Days loaded, running and played."""
    with core() as opened:
        found = opened.gamedays().all()
    if not found:
        out.print("No Game Day yet: `firefighter gameday load FILE`.")
        return
    table = Table("ID", "Name", "Mode", "Status", "Started", "Report")
    for gameday in found:
        table.add_row(
            str(gameday.id),
            escape(gameday.name),
            gameday.mode,
            gameday.status,
            gameday.started_at.isoformat()[:16] if gameday.started_at else "-",
            gameday.report_url or "-",
        )
    out.print(table)


@app.command("from-incident")
def from_incident(
    reference: Annotated[str, typer.Argument(help="The closed incident: INC-42 or 42.")],
    team: Annotated[str, typer.Option(help="The team that plays it.")] = "red",
    output: Annotated[
        Path | None, typer.Option("--out", help="Write the file here (default: stdout).")
    ] = None,
) -> None:
    """Write a Game Day file that replays a closed incident as a drill."""
    with core() as opened:
        facts = read_incident(opened.factory, reference)
        root = read_root_cause(opened.settings, facts.postmortem_page_id, facts.reference)
        spec = replay_spec(facts, team=team, root_cause=root)
        try:
            text = replay_yaml(spec, facts)
        except ValueError as error:  # a team name the file format refuses, say
            raise fail(f"cannot write the replay: {str(error).splitlines()[0]}") from None
    if output is None:
        sys.stdout.write(text)
        return
    output.write_text(text, encoding="utf-8")
    truth = "its post-mortem's root cause" if root else "what the incident recorded"
    out.print(
        f"Wrote {escape(str(output))}: a replay of {facts.reference} for team "
        f"[bold]{escape(team)}[/], its truth from {truth}. Check it with "
        f"`firefighter gameday check {escape(str(output))}`.",
        highlight=False,
    )
