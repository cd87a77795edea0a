"""`firefighter alerts list`: the alerts received (stable JSON fields in DESIGN)."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from firefighter.cli.common import core, fail, out
from firefighter.incidents.alerts import alert_json, list_alerts

app = typer.Typer(help="Read the alerts received from monitoring.", no_args_is_help=True)


@app.command("list")
def alerts_list(
    format: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    limit: Annotated[int, typer.Option(help="At most this many, most recent first.")] = 500,
) -> None:
    """List alerts, the most recently seen first."""
    if format not in ("table", "json"):
        raise fail("--format is table or json.", 2)
    if limit < 1:
        raise fail(f"--limit {limit} shows nothing; use 1 or more (500 by default).", 2)
    with core() as opened, opened.factory() as session:
        alerts = list_alerts(session, limit=limit)
        rows = [alert_json(a) for a in alerts]
        zone = opened.settings.zone
        shown = [(a.last_seen.astimezone(zone), a.first_seen.astimezone(zone)) for a in alerts]
    if format == "json":
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    if not rows:
        out.print("No alerts.")
        return
    table = Table(
        "ID", "Source", "Status", "Title", "Incident", "Count", f"First seen ({zone})", "Last seen"
    )
    for row, (last, first) in zip(rows, shown, strict=True):
        table.add_row(
            str(row["id"]),
            row["source"],
            row["status"],
            escape(row["title"]),
            f"INC-{row['incident_id']}" if row["incident_id"] else "-",
            str(row["count"]),
            first.strftime("%Y-%m-%d %H:%M"),
            last.strftime("%Y-%m-%d %H:%M"),
        )
    out.print(table)
