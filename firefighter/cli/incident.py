"""`firefighter incident list|show`: read incidents (stable JSON fields in DESIGN)."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from firefighter.cli.common import core, fail, handled, out
from firefighter.incidents import queries

app = typer.Typer(help="Read incidents.", no_args_is_help=True)


@app.command("list")
def incident_list(
    status: Annotated[str | None, typer.Option(help="Only incidents in this status.")] = None,
    format: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """List incidents, newest first."""
    if format not in ("table", "json"):
        raise fail("--format is table or json.", 2)
    with core() as opened, opened.factory() as session:
        incidents = queries.list_incidents(session, status=status)
        rows = [queries.incident_json(i) for i in incidents]
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


@app.command("show")
def incident_show(
    incident: Annotated[str, typer.Argument(help="12 or INC-12.")],
    format: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
) -> None:
    """Show one incident with its timeline."""
    if format not in ("text", "json"):
        raise fail("--format is text or json.", 2)
    with handled():
        incident_id = queries.parse_reference(incident)
    with core() as opened, opened.factory() as session:
        found = queries.get_incident(session, incident_id)
        data = queries.incident_detail_json(session, found)
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
