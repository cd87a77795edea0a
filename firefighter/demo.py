"""`firefighter demo`: one incident through its whole life, on a throw-away SQLite file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from firefighter.bootstrap import build_core
from firefighter.db import upgrade
from firefighter.incidents import queries
from firefighter.incidents.models import Incident
from firefighter.settings import load_settings


def run_demo(database: str, console: Console) -> None:
    """Declare a SEV1, walk it to closed through the service, print its timeline."""
    path = Path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    upgrade(url)
    core = build_core(load_settings(database_url=url))
    service = core.service
    try:
        incident = service.declare(
            title="Checkout returns 502 for a third of requests",
            severity="SEV1",
            description="Payments API behind the checkout answers 502 since the 14:02 deploy.",
            component="payments",
            actor="U_ALICE",
        )
        ref = incident.reference
        console.print(f"[bold]{ref}[/] declared by U_ALICE: {incident.title}", highlight=False)
        steps: list[tuple[str, Callable[[], Incident]]] = [
            (
                "investigating",
                lambda: service.transition(incident.id, "investigating", actor="U_ALICE"),
            ),
            ("role", lambda: service.assign_role(incident.id, "comms", "U_BOB", actor="U_ALICE")),
            (
                "update",
                lambda: service.add_update(
                    incident.id,
                    "Rolled back deploy 2024.11.27-3; watching errors.",
                    actor="U_ALICE",
                ),
            ),
            ("mitigating", lambda: service.transition(incident.id, "mitigating", actor="U_ALICE")),
            ("mitigated", lambda: service.transition(incident.id, "mitigated", actor="U_ALICE")),
            ("postmortem", lambda: service.transition(incident.id, "postmortem", actor="U_ALICE")),
            ("closed", lambda: service.close(incident.id, actor="U_ALICE")),
        ]
        for name, step in steps:
            changed = step()
            console.print(f"  → {name:<13} {ref} is {changed.status} (version {changed.version})")
        with core.factory() as session:
            data = queries.incident_detail_json(session, queries.get_incident(session, incident.id))
        from firefighter.cli import print_incident

        print_incident(data)
        console.print(f"\nDatabase: {path}", highlight=False)
    finally:
        core.close()
