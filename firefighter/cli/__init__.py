"""The `firefighter` command line: one module per command group, mounted here."""

from __future__ import annotations

from typing import Annotated

import typer

from firefighter import __version__
from firefighter.cli import (
    alerts,
    api_tokens,
    db,
    followups,
    gameday,
    incident,
    outbox,
    postmortem,
    serve,
    stats,
)
from firefighter.cli.common import out
from firefighter.cli.helptext import PlainHelpGroup

app = typer.Typer(
    cls=PlainHelpGroup,
    help="FireFighter: incident response in Slack.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(db.app, name="db")
app.add_typer(incident.app, name="incident")
app.add_typer(outbox.app, name="outbox")
app.add_typer(postmortem.app, name="postmortem")
app.add_typer(gameday.app, name="gameday")
app.add_typer(alerts.app, name="alerts")
app.add_typer(followups.app, name="followup")
app.add_typer(api_tokens.app, name="api-token")
stats.register(app)  # top-level `stats` and `digest`
serve.register(app)  # top-level `serve`, `worker` and `demo`


def _version(value: bool) -> None:
    if value:
        out.print(f"firefighter {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """FireFighter: a Slack bot that runs incident response end to end."""


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
