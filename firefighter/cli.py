"""The `firefighter` command line."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from firefighter import __version__
from firefighter.bootstrap import Core, build_core, safe_url
from firefighter.db import DatabaseUnavailable, NotMigrated, upgrade
from firefighter.gameday import cli as gameday_cli
from firefighter.incidents import queries
from firefighter.incidents.errors import IncidentError
from firefighter.postmortem import cli as postmortem_cli
from firefighter.settings import ConfigError, Settings, load_settings
from firefighter.stats import cli as stats_cli

app = typer.Typer(
    help="FireFighter: incident response in Slack.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
incident_app = typer.Typer(help="Read incidents.", no_args_is_help=True)
outbox_app = typer.Typer(help="Effects waiting to be delivered.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(incident_app, name="incident")
app.add_typer(outbox_app, name="outbox")
stats_cli.register(app)  # top-level `stats` and `digest`
app.add_typer(postmortem_cli.app, name="postmortem")
app.add_typer(gameday_cli.app, name="gameday")

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print one line on stderr and return the exit to raise."""
    err.print(f"[bold red]error:[/] {message}", highlight=False, markup=True)
    return typer.Exit(code)


def friendly(func: F) -> F:
    """Turn the errors a user can fix into one clear line and a non-zero exit."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ConfigError as error:
            raise fail(f"configuration: {error}", 2) from None
        except DatabaseUnavailable as error:
            url = safe_url(_settings_or_default().database_url)
            raise fail(
                f"cannot reach the database at {url}: {error}. Check DATABASE_URL."
            ) from None
        except NotMigrated as error:
            raise fail(f"{error}; run `firefighter db upgrade` first.") from None
        except IncidentError as error:
            raise fail(str(error)) from None

    return wrapper  # type: ignore[return-value]


def _settings_or_default() -> Settings:
    try:
        return load_settings()
    except ConfigError:
        return Settings.model_construct()


def open_core() -> Core:
    """Settings and a checked database connection."""
    return build_core(load_settings())


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


@db_app.command("upgrade")
@friendly
def db_upgrade() -> None:
    """Apply the database migrations up to the newest."""
    settings = load_settings()
    upgrade(settings.database_url)
    out.print(f"Database at {safe_url(settings.database_url)} is up to date.", highlight=False)


@incident_app.command("list")
@friendly
def incident_list(
    status: Annotated[str | None, typer.Option(help="Only incidents in this status.")] = None,
    format: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """List incidents, newest first."""
    if format not in ("table", "json"):
        raise fail("--format is table or json.", 2)
    core = open_core()
    try:
        with core.factory() as session:
            incidents = queries.list_incidents(session, status=status)
            rows = [queries.incident_json(i) for i in incidents]
    finally:
        core.close()
    if format == "json":
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    if not rows:
        out.print("No incidents.")
        return
    table = Table("ID", "Sev", "Status", "Title", "Commander", "Channel", "Declared")
    for row in rows:
        title = row["title"] + (" [private]" if row["private"] else "")
        title += " [drill]" if row["drill"] else ""
        table.add_row(
            row["reference"],
            row["severity"],
            row["status"],
            escape(title),
            row["commander"] or "-",
            row["channel_id"] or "-",
            (row["created_at"] or "")[:16].replace("T", " "),
        )
    out.print(table)


@incident_app.command("show")
@friendly
def incident_show(
    incident: Annotated[str, typer.Argument(help="12 or INC-12.")],
    format: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
) -> None:
    """Show one incident with its timeline."""
    if format not in ("text", "json"):
        raise fail("--format is text or json.", 2)
    incident_id = queries.parse_reference(incident)
    core = open_core()
    try:
        with core.factory() as session:
            found = queries.get_incident(session, incident_id)
            data = queries.incident_detail_json(session, found)
    finally:
        core.close()
    if format == "json":
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    print_incident(data)


def print_incident(data: dict[str, Any]) -> None:
    """Human-readable incident with its timeline."""
    flags = " (private)" if data["private"] else ""
    flags += " (DRILL)" if data["drill"] else ""
    out.print(
        f"[bold]{data['reference']}[/] {escape(data['title'])}{flags}\n"
        f"  {data['severity']} · {data['status']} · commander {data['commander'] or '-'}"
        f" · channel {data['channel_id'] or '-'}",
        highlight=False,
    )
    for name, value in data["milestones"].items():
        if value:
            out.print(f"  {name.removesuffix('_at'):<13} {value}", highlight=False)
    if data["postmortem_url"]:
        out.print(f"  post-mortem   {data['postmortem_url']}", highlight=False)
    table = Table("When (UTC)", "Kind", "Actor", "What")
    for event in data["timeline"]:
        table.add_row(
            event["at"][:19].replace("T", " "),
            event["kind"],
            event["actor"] or "-",
            escape(event["text"]),
        )
    out.print(table)


@outbox_app.command("list")
@friendly
def outbox_list(
    dead: Annotated[bool, typer.Option("--dead", help="Only dead-lettered effects.")] = False,
) -> None:
    """Effects not delivered yet (pending, retrying or dead-lettered)."""
    from sqlalchemy import select

    from firefighter.outbox.models import OutboxItem

    core = open_core()
    try:
        with core.factory() as session:
            query = select(OutboxItem).where(OutboxItem.delivered_at.is_(None))
            if dead:
                query = query.where(OutboxItem.dead_at.is_not(None))
            items = list(session.scalars(query.order_by(OutboxItem.id)))
    finally:
        core.close()
    if not items:
        out.print("Nothing waiting: every effect was delivered.")
        return
    table = Table("ID", "Kind", "Incident", "Attempts", "State", "Next attempt", "Last error")
    for item in items:
        state = "dead" if item.dead_at else ("retrying" if item.attempts else "pending")
        table.add_row(
            str(item.id),
            item.kind,
            f"INC-{item.incident_id}" if item.incident_id else "-",
            str(item.attempts),
            state,
            "-" if item.dead_at else item.next_attempt_at.isoformat()[:19],
            escape((item.last_error or "")[:80]),
        )
    out.print(table)


@outbox_app.command("retry")
@friendly
def outbox_retry(
    item: Annotated[int | None, typer.Argument(help="The effect's ID (see `outbox list`).")] = None,
    all_dead: Annotated[bool, typer.Option("--all", help="Every dead-lettered effect.")] = False,
) -> None:
    """Put dead-lettered effects back in the queue."""
    from firefighter.db import transaction
    from firefighter.outbox import retry_dead

    if (item is None) == (not all_dead):
        raise fail("give an effect ID or --all (not both).", 2)
    core = open_core()
    try:
        with transaction(core.factory) as session:
            count = retry_dead(session, item)
    finally:
        core.close()
    if item is not None and count == 0:
        raise fail(f"effect {item} is not dead-lettered; see `firefighter outbox list --dead`.")
    out.print(f"{count} effect(s) queued again.")


@app.command("serve")
@friendly
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 3000,
    worker: Annotated[
        bool, typer.Option("--worker/--no-worker", help="Run the outbox worker in-process.")
    ] = True,
    threads: Annotated[int, typer.Option(help="Request-handling threads.")] = 8,
) -> None:
    """Serve Slack requests at POST /slack/events and health at GET /healthz."""
    from firefighter.serving import run_server

    run_server(open_core(), host=host, port=port, with_worker=worker, threads=threads, console=out)


@app.command("worker")
@friendly
def worker() -> None:
    """Deliver the outbox (Slack messages, post-mortems) until stopped."""
    from firefighter.serving import run_worker

    run_worker(open_core(), console=out)


@app.command("demo")
@friendly
def demo(
    output: Annotated[str, typer.Option(help="Folder for the demo's files.")] = "demo-output",
) -> None:
    """Play a SEV1 through the bot against a Slack emulator and print the conversation."""
    from firefighter.demo import run_demo

    run_demo(output, out)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
