"""Helpers for post-mortem tests: a Confluence emulator, settings pointing at it, incidents."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from firefighter.bootstrap import Core
from firefighter.emulators.confluence import ConfluenceEmulator
from firefighter.incidents import effects
from firefighter.incidents.models import Incident
from firefighter.outbox import Dispatcher, Message
from firefighter.outbox.models import OutboxItem
from firefighter.postmortem.handler import register_exporter
from firefighter.settings import Settings
from tests.conftest import FakeClock
from tests.slack.conftest import bot  # noqa: F401  (the Slack bot, for tests that need both)

USER = "firefighter@example.com"
TOKEN = "s3cret-token"
SLACK_KINDS = tuple(k for k in effects.ALL if k != effects.EXPORT_POSTMORTEM)


class Confluence(ConfluenceEmulator):
    """The emulator plus the id of the page post-mortems go under."""

    parent_id = ""


@pytest.fixture
def confluence() -> Iterator[Confluence]:
    """A running emulator with space ENG and a parent page for post-mortems."""
    with Confluence(username=USER, password=TOKEN, spaces=("ENG",)) as emulator:
        emulator.parent_id = emulator.add_page("Post-mortems")
        yield emulator


@pytest.fixture
def frozen(clock: FakeClock) -> FakeClock:
    """The test clock, no longer ticking on its own: a retry waits until the test advances it."""
    clock.tick = timedelta(0)
    return clock


def confluence_settings(
    settings: Settings, emulator: Confluence, *, url: str | None = None, **extra: Any
) -> Settings:
    """`settings` with the CONFLUENCE_* values of the emulator."""
    values: dict[str, Any] = {
        "confluence_url": url or emulator.url,
        "confluence_username": USER,
        "confluence_api_token": TOKEN,
        "confluence_space": "ENG",
        "confluence_parent_page_id": emulator.parent_id,
    }
    values.update(extra)
    return settings.model_copy(update=values)


def use_settings(core: Core, settings: Settings) -> Core:
    """The same core (database, service, clock) with other settings."""
    core.settings = settings
    return core


def to_postmortem(core: Core, *, title: str = "Checkout returns 502", **declare: Any) -> Incident:
    """Declare a SEV2 and walk it to `postmortem` (which enqueues the export)."""
    service = core.service
    incident = service.declare(
        title=title,
        severity=declare.pop("severity", "SEV2"),
        actor="U_ALICE",
        description=declare.pop("description", "Payments answer 502 since the deploy."),
        component="payments",
        **declare,
    )
    service.assign_role(incident.id, "commander", "U_BOB", actor="U_ALICE")
    service.transition(incident.id, "investigating", actor="U_BOB")
    service.add_update(incident.id, "Rolling back the 14:02 deploy.", actor="U_BOB")
    service.transition(incident.id, "mitigating", actor="U_BOB")
    service.transition(incident.id, "mitigated", actor="U_BOB")
    return service.transition(incident.id, "postmortem", actor="U_BOB")


def worker(core: Core, **kwargs: Any) -> Dispatcher:
    """A dispatcher as the worker runs it: the post-mortem handler, and Slack effects
    acknowledged by a stand-in (the Slack adapter is not under test here)."""
    dispatcher = core.dispatcher()
    register_exporter(dispatcher, core.settings, core.service, faults=core.faults, **kwargs)
    slack_stand_in(dispatcher)
    return dispatcher


def slack_stand_in(dispatcher: Dispatcher) -> None:
    """What the Slack adapter would register; here each effect is acknowledged, no more."""
    for kind in SLACK_KINDS:
        dispatcher.register(kind, acknowledge)


def acknowledge(message: Message) -> None:
    """A handler that delivers by doing nothing."""
    assert message.kind in SLACK_KINDS


def incident(core: Core, incident_id: int) -> Incident:
    """The incident as stored now."""
    with core.factory() as session:
        found = session.get(Incident, incident_id)
        assert found is not None
        return found


def outbox(core: Core, kind: str) -> list[OutboxItem]:
    """Outbox rows of one kind, oldest first."""
    with core.factory() as session:
        return list(
            session.scalars(
                select(OutboxItem).where(OutboxItem.kind == kind).order_by(OutboxItem.id)
            )
        )


def notices(core: Core) -> list[dict[str, Any]]:
    """Payloads of the one-off notices enqueued for incident channels."""
    return [item.payload for item in outbox(core, effects.NOTIFY)]
