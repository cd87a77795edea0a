"""`firefighter incident list|show`: read incidents (stable JSON fields in DESIGN)."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from firefighter.cli.common import core, fail, out, person_namer, reference
from firefighter.incidents import queries
from firefighter.incidents.lifecycle import Status
from firefighter.text import mentioned_ids, slack_plain

app = typer.Typer(help="Read incidents.", no_args_is_help=True)

STATUSES = [status.value for status in Status]


@app.command("list")
def incident_list(
    status: Annotated[str | None, typer.Option(help="Only incidents in this status.")] = None,
    format: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """List incidents, newest first."""
    if format not in ("table", "json"):
        raise fail("--format is table or json.", 2)
    if status is not None:
        status = status.strip().lower()
        if status not in STATUSES:
            shown = status if len(status) <= 40 else status[:39] + "…"
            what = f"{shown!r} is not a status" if status else "--status needs a status"
            raise fail(f"{what}; use one of {', '.join(STATUSES)}.", 2)
    with core() as opened, opened.factory() as session:
        incidents = queries.list_incidents(session, status=status)
        rows = [queries.incident_json(i) for i in incidents]
        if format == "json":
            sys.stdout.write(json.dumps(rows, indent=2) + "\n")
            return
        name = person_namer(opened, (r["commander"] for r in rows))
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
            name(row["commander"]),
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
    incident_id = reference(incident)
    with core() as opened, opened.factory() as session:
        found = queries.get_incident(session, incident_id)
        data = queries.incident_detail_json(session, found)
        if format == "json":
            sys.stdout.write(json.dumps(data, indent=2) + "\n")
            return
        people = [data["commander"]] + [e["actor"] for e in data["timeline"]]
        people += [u for e in data["timeline"] for u in mentioned_ids(e["text"])]
        names = opened.people.names(p for p in people if p)
    print_incident(data, names)


def print_incident(data: dict[str, Any], names: dict[str, str] | None = None) -> None:
    """Human-readable incident with its timeline; `names` names people by Slack id (an id
    without a name is shown as it is)."""
    names = names or {}

    def who(user_id: str | None) -> str:
        return escape(names.get(user_id) or user_id) if user_id else "-"

    flags = " (private)" if data["private"] else ""
    flags += " (DRILL)" if data["drill"] else ""
    out.print(
        f"[bold]{data['reference']}[/] {escape(data['title'])}{flags}\n"
        f"  {data['severity']} · {data['status']} · commander {who(data['commander'])}"
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
            who(event["actor"]),
            # Mentions read as names, links as their labels: a terminal shows no markup.
            escape(slack_plain(event["text"], names)),
        )
    out.print(table)
