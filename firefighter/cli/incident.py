"""`firefighter incident list|show`: read incidents (stable JSON fields in DESIGN)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from firefighter.cli.common import core, fail, out, person_namer, reference
from firefighter.incidents.lifecycle import Status
from firefighter.incidents.read import Reader
from firefighter.incidents.wording import Words, plain
from firefighter.incidents.wording import people as named
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
    with core() as opened:
        rows = Reader(opened.factory).incidents_json(status)
        if format == "json":
            sys.stdout.write(json.dumps(rows, indent=2) + "\n")
            return
        name = person_namer(opened, (r["commander"] for r in rows))
        zone = opened.settings.zone
    if not rows:
        out.print("No incidents.")
        return
    table = Table("ID", "Sev", "Status", "Title", "Commander", "Channel", f"Declared ({zone})")
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
            local_time(row["created_at"], zone, "%Y-%m-%d %H:%M"),
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
    with core() as opened:
        detail = Reader(opened.factory).incident_detail(incident_id)
        data, said = detail.data, detail.said
        if format == "json":
            sys.stdout.write(json.dumps(data, indent=2) + "\n")
            return
        # The JSON reads each event plainly; the table names the people in it.
        people = [data["commander"]] + [e["actor"] for e in data["timeline"]]
        people += [u for e in data["timeline"] for u in mentioned_ids(e["text"])]
        people += [u for words in said for u in named(words)]
        names = opened.people.names(p for p in people if p)
        zone = opened.settings.zone
    print_incident(data, names, zone, said)


def local_time(iso: str | None, zone: tzinfo, pattern: str = "%Y-%m-%d %H:%M:%S") -> str:
    """An ISO 8601 time of the JSON as people read it: in the configured zone, to the second."""
    if not iso:
        return "-"
    return datetime.fromisoformat(iso).astimezone(zone).strftime(pattern)


def print_incident(
    data: dict[str, Any],
    names: dict[str, str] | None = None,
    zone: tzinfo = UTC,
    said: Sequence[Words] | None = None,
) -> None:
    """Human-readable incident with its timeline; `names` names people by Slack id (an id
    without a name is shown as it is); times in `zone`, milestones as the table; `said`,
    each event's words (its text when absent)."""
    names = names or {}
    known = names

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
    out.print(f"  [dim]milestones ({zone})[/]", highlight=False)
    for name, value in data["milestones"].items():
        if value:
            out.print(
                f"  {name.removesuffix('_at'):<13} {local_time(value, zone)}", highlight=False
            )
    if data["postmortem_url"]:
        url = data["postmortem_url"]
        # A link the terminal can open (OSC 8), the URL itself as its text.
        out.print(f"  post-mortem   [link={url}]{escape(url)}[/link]", highlight=False)
    table = Table(f"When ({zone})", "Kind", "Actor", "What")
    for number, event in enumerate(data["timeline"]):
        words = said[number] if said is not None else (event["text"],)
        table.add_row(
            local_time(event["at"], zone),
            event["kind"],
            who(event["actor"]),
            # People read as names, links as their labels: a terminal shows no markup.
            escape(plain(words, known, lambda text: slack_plain(text, known))),
        )
    out.print(table)
