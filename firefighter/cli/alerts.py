"""`firefighter alerts list|declare|attach`: the alerts received (stable JSON fields in
DESIGN), and the triage decisions a card offers, for any alert (folded in a storm or not)."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from firefighter.cli.common import core, fail, out
from firefighter.incidents.read import Reader

app = typer.Typer(
    help="Read the alerts received from monitoring; declare or attach them.", no_args_is_help=True
)


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
    with core() as opened:
        alerts = Reader(opened.factory).alerts(limit)
        rows = [a.data for a in alerts]
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


@app.command("declare")
def alerts_declare(
    alert_id: Annotated[int, typer.Argument(help="An alert's id, as `alerts list` shows it.")],
    severity: Annotated[
        str | None, typer.Option(help="SEV1…; the least severe one when left out.")
    ] = None,
    title: Annotated[str | None, typer.Option(help="The group's title when left out.")] = None,
) -> None:
    """Declare an incident from the alert's group (as its card or storm card would)."""
    with core() as opened:
        group_id, round_ = opened.alerts.group_of_alert(alert_id)
        state = opened.alerts.card_state(group_id)
        incident = opened.alerts.declare_group(
            group_id,
            round_,
            actor=None,
            title=title or state.title,
            severity=severity or opened.settings.severity_names[-1],
            description=state.description,
        )
        out.print(f"Declared {incident.reference} from alert {alert_id}.", highlight=False)


@app.command("attach")
def alerts_attach(
    alert_id: Annotated[int, typer.Argument(help="An alert's id, as `alerts list` shows it.")],
    incident_id: Annotated[str, typer.Argument(help="The open incident: 12 or INC-12.")],
) -> None:
    """Link the alert's group to an open incident (as its card or storm card would)."""
    number = incident_id.upper().removeprefix("INC-")
    if not number.isdigit():
        raise fail(f"{incident_id!r} is not an incident; give its number, e.g. 12 or INC-12.", 2)
    with core() as opened:
        group_id, round_ = opened.alerts.group_of_alert(alert_id)
        incident = opened.alerts.attach(group_id, round_, int(number), actor=None)
        out.print(f"Attached alert {alert_id} to {incident.reference}.", highlight=False)
