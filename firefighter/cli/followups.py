"""`firefighter followup list`: the follow-ups, with the stable JSON fields of DESIGN."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from firefighter.cli.common import core, fail, out, person_namer, reference
from firefighter.incidents.read import Reader

app = typer.Typer(help="Read the incidents' follow-ups.", no_args_is_help=True)


@app.command("list")
def followup_list(
    incident: Annotated[
        str | None, typer.Option("--incident", help="Only this incident's (12 or INC-12).")
    ] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only the open ones.")] = False,
    format: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """List follow-ups, oldest first."""
    if format not in ("table", "json"):
        raise fail("--format is table or json.", 2)
    incident_id = reference(incident) if incident is not None else None
    with core() as opened:
        rows = Reader(opened.factory).followups_json(incident_id, open_only=open_only)
        zone = opened.settings.zone
        owner = person_namer(opened, (r["owner"] for r in rows))
    if format == "json":
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    if not rows:
        out.print("No follow-ups.")
        return
    table = Table("ID", "Incident", "Title", "Owner", "Due", "Status", "Jira", f"Created ({zone})")
    for row in rows:
        created = str(row["created_at"])
        local = datetime.fromisoformat(created).astimezone(zone).strftime("%Y-%m-%d %H:%M")
        table.add_row(
            str(row["id"]),
            f"INC-{row['incident_id']}",
            escape(row["title"]),
            owner(row["owner"]),
            row["due"] or "-",
            row["status"],
            row["jira_key"] or "-",
            local,
        )
    out.print(table)
