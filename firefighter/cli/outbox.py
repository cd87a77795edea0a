"""`firefighter outbox list|retry`: effects waiting, retrying or dead-lettered."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select

from firefighter.cli.common import core, fail, out
from firefighter.db import transaction
from firefighter.outbox import retry_dead
from firefighter.outbox.models import OutboxItem

app = typer.Typer(help="Effects waiting to be delivered.", no_args_is_help=True)


@app.command("list")
def outbox_list(
    dead: Annotated[bool, typer.Option("--dead", help="Only dead-lettered effects.")] = False,
) -> None:
    """Effects not delivered yet (pending, retrying or dead-lettered)."""
    with core() as opened, opened.factory() as session:
        query = select(OutboxItem).where(OutboxItem.delivered_at.is_(None))
        if dead:
            query = query.where(OutboxItem.dead_at.is_not(None))
        items = list(session.scalars(query.order_by(OutboxItem.id)))
    if not items:
        out.print("Nothing waiting: every effect was delivered.")
        return
    table = Table(
        "ID", "Kind", "Target", "Incident", "Attempts", "State", "Next attempt", "Last error"
    )
    for item in items:
        state = "dead" if item.dead_at else ("retrying" if item.attempts else "pending")
        table.add_row(
            str(item.id),
            item.kind,
            item.target,
            f"INC-{item.incident_id}" if item.incident_id else "-",
            str(item.attempts),
            state,
            "-" if item.dead_at else item.next_attempt_at.isoformat()[:19],
            escape((item.last_error or "")[:80]),
        )
    out.print(table)


@app.command("retry")
def outbox_retry(
    item: Annotated[int | None, typer.Argument(help="The effect's ID (see `outbox list`).")] = None,
    all_dead: Annotated[bool, typer.Option("--all", help="Every dead-lettered effect.")] = False,
) -> None:
    """Put dead-lettered effects back in the queue."""
    if (item is None) == (not all_dead):
        raise fail("give an effect ID or --all (not both).", 2)
    with core() as opened, transaction(opened.factory) as session:
        count = retry_dead(session, item)
        found = session.get(OutboxItem, item) if item is not None and count == 0 else None
    if item is not None and count == 0:
        if found is None:
            raise fail(f"effect {item} does not exist; see `firefighter outbox list --dead`.", 2)
        state = "was delivered" if found.delivered_at else "is not dead-lettered"
        raise fail(f"effect {item} {state}; see `firefighter outbox list --dead`.")
    out.print(f"{count} effect{'' if count == 1 else 's'} queued again.")
