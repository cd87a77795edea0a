"""`firefighter postmortem export`: render an incident's post-mortem and publish it now."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from firefighter.bootstrap import register_for_export
from firefighter.cli.common import core, err, fail, out, reference
from firefighter.postmortem.handler import ExportFailed, export_now, export_warning

app = typer.Typer(help="Post-mortems.", no_args_is_help=True)


@app.callback()
def postmortem() -> None:
    """Post-mortems: render and publish them (Confluence, or files without it)."""


@app.command("export")
def export(
    incident: Annotated[str, typer.Argument(help="12 or INC-12.")],
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait for the page before giving up.", min=1)
    ] = 120.0,
) -> None:
    """Render an incident's post-mortem, publish it now and print its URL."""
    incident_id = reference(incident)
    with core() as opened:
        dispatcher = opened.dispatcher()
        register_for_export(dispatcher, opened)
        try:
            url = export_now(opened.service, dispatcher, incident_id, timeout=timeout)
        except ExportFailed as error:
            raise fail(str(error)) from None
        warning = export_warning(opened.service, incident_id)
    # The URL alone on its line (scripts read it); a terminal also gets it as a link (OSC 8).
    out.print(f"[link={escape(url)}]{escape(url)}[/link]", highlight=False, soft_wrap=True)
    if warning:
        err.print(f"[bold yellow]warning:[/] {escape(warning)}", highlight=False)
