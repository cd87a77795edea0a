"""`firefighter postmortem ...`: mounted by the main CLI as the `postmortem` sub-command."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

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
    # The main CLI imports this module to mount it; importing it back at call time avoids
    # the cycle.
    from firefighter.cli import fail, friendly, open_core
    from firefighter.incidents import queries
    from firefighter.postmortem.handler import ExportFailed, export_now
    from firefighter.worker import register_for_export

    @friendly
    def run() -> str:
        incident_id = queries.parse_reference(incident)
        core = open_core()
        try:
            return export_now(
                core,
                incident_id,
                register_handlers=lambda dispatcher: register_for_export(dispatcher, core),
                timeout=timeout,
            )
        except ExportFailed as error:
            raise fail(str(error)) from None
        finally:
            core.close()

    sys.stdout.write(run() + "\n")
