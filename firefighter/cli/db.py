"""`firefighter db upgrade`."""

from __future__ import annotations

import typer

from firefighter.bootstrap import safe_url
from firefighter.cli.common import handled, out
from firefighter.db import upgrade
from firefighter.settings import load_settings

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def db_upgrade() -> None:
    """Apply the database migrations up to the newest."""
    with handled():
        settings = load_settings()
        upgrade(settings.database_url)
    out.print(f"Database at {safe_url(settings.database_url)} is up to date.", highlight=False)
