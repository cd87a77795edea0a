"""`firefighter api-token create|list|revoke`: the REST API's Bearer tokens."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from firefighter.cli.common import core, fail, out
from firefighter.web.api.tokens import TokenError, create, listed, revoke

app = typer.Typer(help="Create, list and revoke REST API tokens.", no_args_is_help=True)


@app.command("create")
def token_create(
    name: Annotated[str, typer.Argument(help="Who uses it, e.g. deploy-bot.")],
    read_only: Annotated[bool, typer.Option("--read-only", help="Reads only.")] = False,
) -> None:
    """Create a token; it is printed once, on the last line, and stored only hashed."""
    with core() as opened:
        try:
            row, token = create(
                opened.factory, name, read_only=read_only, now=opened.service.clock()
            )
        except TokenError as error:
            raise fail(str(error)) from None
    kind = "read-only " if row.read_only else ""
    out.print(
        f"Created the {kind}API token {escape(row.name)}. It is shown only now; "
        "send it as `Authorization: Bearer <token>`:",
        highlight=False,
    )
    print(token)


@app.command("list")
def token_list() -> None:
    """The tokens (never their values)."""
    with core() as opened:
        rows = listed(opened.factory)
        zone = opened.settings.zone
    if not rows:
        out.print("No API tokens.")
        return
    table = Table("Name", "Access", f"Created ({zone})", "Revoked")
    for row in rows:
        table.add_row(
            escape(row.name),
            "read-only" if row.read_only else "read-write",
            row.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            row.revoked_at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if row.revoked_at else "-",
        )
    out.print(table)


@app.command("revoke")
def token_revoke(name: Annotated[str, typer.Argument(help="The token's name.")]) -> None:
    """Revoke a token: requests with it get 401 from now on."""
    with core() as opened:
        try:
            revoke(opened.factory, name, now=opened.service.clock())
        except TokenError as error:
            raise fail(str(error)) from None
    out.print(f"Revoked the API token {escape(name)}.", highlight=False)
