"""Lanes and priorities: a stuck effect holds back only its incident's effects for the same
system; people-facing effects go before a backlog of triage cards; incidents take turns."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from firefighter.bootstrap import Core
from firefighter.db import transaction, utcnow
from firefighter.incidents import effects
from firefighter.outbox import Message, RetryLater, enqueue
from firefighter.outbox.effect_types import (
    BACKGROUND,
    JIRA,
    PEOPLE,
    RECORDS,
    SLACK,
    Effect,
    Priority,
    lane_of,
    registered,
)
from firefighter.outbox.models import OutboxItem
from tests.conftest import FakeClock


@dataclass(frozen=True)
class TicketStub(Effect, kind="test.ticket", target=JIRA, priority=RECORDS):
    """Stands for a Jira effect in these tests."""

    incident_id: int
    n: int


@dataclass(frozen=True)
class ChannelPost(Effect, kind="test.post", target=SLACK, priority=PEOPLE):
    """Stands for a people-facing Slack effect."""

    incident_id: int
    n: int


@dataclass(frozen=True)
class CardStub(Effect, kind="test.card", target=SLACK, priority=BACKGROUND):
    """Stands for a triage card."""

    n: int


@dataclass(frozen=True)
class NudgeStub(Effect, kind="test.nudge", target=SLACK, priority=BACKGROUND):
    """Stands for a reminder in an incident's channel."""

    incident_id: int
    n: int


def rows(core: Core) -> list[OutboxItem]:
    with core.factory() as session:
        return list(session.scalars(select(OutboxItem).order_by(OutboxItem.id)))


def test_every_declared_kind_names_its_target_and_priority() -> None:
    kinds = registered()
    for kind in (*effects.ALL, *effects.SCHEDULED, *effects.GAMEDAY, *effects.FOLLOWUP):
        assert kind in kinds, f"{kind} has no typed declaration"
    assert lane_of(effects.OPEN_CHANNEL).priority == Priority.PEOPLE
    assert lane_of(effects.ALERT_CARD).priority == Priority.BACKGROUND
    assert lane_of(effects.FOLLOWUP_JIRA_CREATE).target == JIRA


def test_typed_and_named_enqueues_store_the_same_lane(core: Core, clock: FakeClock) -> None:
    incident = core.service.declare(title="DNS", severity="SEV2", actor="U1")
    with transaction(core.factory) as session:
        session.query(OutboxItem).delete()
        enqueue(session, effects.Refresh(incident.id, "status"), incident_id=incident.id)
        enqueue(session, effects.REFRESH, {"incident_id": incident.id}, incident_id=incident.id)
    typed, named = rows(core)
    assert (
        (typed.kind, typed.target, typed.priority, typed.ordered)
        == (
            named.kind,
            named.target,
            named.priority,
            named.ordered,
        )
        == ("incident.refresh", SLACK, 0, True)
    )
    assert typed.payload == {"incident_id": incident.id, "what": "status"}
    assert effects.Refresh.parse(typed.payload) == effects.Refresh(incident.id, "status")


def test_a_stuck_effect_delays_neither_other_targets_nor_other_incidents(
    core: Core, clock: FakeClock
) -> None:
    clock.tick = timedelta(0)
    delivered: list[tuple[str, int]] = []

    def jira_down(message: Message) -> None:
        raise RetryLater("Jira answered 503")

    dispatcher = core.dispatcher()
    dispatcher.register(TicketStub.kind, jira_down)
    dispatcher.register(NudgeStub.kind, jira_down)  # a reminder that keeps failing too
    dispatcher.register(ChannelPost.kind, lambda m: delivered.append(("post", m.payload["n"])))
    a = core.service.declare(title="DNS", severity="SEV2", actor="U1")
    b = core.service.declare(title="CDN", severity="SEV2", actor="U1")
    with transaction(core.factory) as session:
        session.query(OutboxItem).delete()
        enqueue(session, NudgeStub(a.id, 0), incident_id=a.id, now=clock())
        enqueue(session, TicketStub(a.id, 1), incident_id=a.id, now=clock())
        enqueue(session, TicketStub(a.id, 2), incident_id=a.id, now=clock())
        for n in range(1, 4):
            enqueue(session, ChannelPost(a.id, n), incident_id=a.id, now=clock())
        enqueue(session, TicketStub(b.id, 3), incident_id=b.id, now=clock())
        enqueue(session, ChannelPost(b.id, 10), incident_id=b.id, now=clock())

    for _ in range(5):
        dispatcher.run_once()
    # A's posts in order, B's post: none waited for the Jira effects that keep failing.
    assert sorted(n for _, n in delivered) == [1, 2, 3, 10]
    a_posts = [n for _, n in delivered if n < 10]
    assert a_posts == [1, 2, 3]
    by_payload = {(r.kind, r.payload["n"]): r for r in rows(core)}
    assert by_payload[(TicketStub.kind, 1)].attempts == 1  # failed once, backing off
    assert by_payload[(TicketStub.kind, 2)].attempts == 0  # waits in A's Jira lane
    assert by_payload[(TicketStub.kind, 3)].attempts == 1  # B's own Jira lane was tried


def test_incidents_take_turns_within_a_batch(core: Core, clock: FakeClock) -> None:
    clock.tick = timedelta(0)
    order: list[int] = []
    dispatcher = core.dispatcher()
    dispatcher.register(ChannelPost.kind, lambda m: order.append(m.incident_id or 0))
    busy = core.service.declare(title="DNS", severity="SEV2", actor="U1")
    quiet = core.service.declare(title="CDN", severity="SEV2", actor="U1")
    with transaction(core.factory) as session:
        session.query(OutboxItem).delete()
        for n in range(500):
            enqueue(session, ChannelPost(busy.id, n), incident_id=busy.id, now=clock())
        enqueue(session, ChannelPost(quiet.id, 0), incident_id=quiet.id, now=clock())
    dispatcher.run_once(limit=20)
    assert order == [busy.id, quiet.id]  # the quiet incident did not wait for 500 posts


def test_a_backlog_of_triage_cards_does_not_delay_opening_a_channel(core: Core) -> None:
    cards: list[int] = []
    opened: list[float] = []
    seen: list[str] = []
    dispatcher = core.dispatcher()
    dispatcher.clock = utcnow

    def slow_card(message: Message) -> None:
        time.sleep(0.15)  # Slack's per-channel pace: cards go out one by one
        cards.append(message.payload["n"])
        seen.append("card")

    dispatcher.register(CardStub.kind, slow_card)

    def open_channel(message: Message) -> None:
        opened.append(time.monotonic())
        seen.append("channel")

    dispatcher.register(effects.OPEN_CHANNEL, open_channel)
    with transaction(core.factory) as session:
        session.query(OutboxItem).delete()
        for n in range(200):
            enqueue(session, CardStub(n), now=utcnow())
    # Already queued: the channel goes first in the next batch.
    core.service.declare(title="Payments down", severity="SEV1", actor="U1")
    assert dispatcher.run_once(limit=5) >= 1
    assert seen[0] == "channel", seen[:3]

    # Declared while a worker is busy with a batch of cards: taken within about a second.
    stop = threading.Event()
    worker = threading.Thread(target=dispatcher.run_forever, args=(stop, 0.05), daemon=True)
    worker.start()
    try:
        time.sleep(0.3)
        declared = time.monotonic()
        core.service.declare(title="Checkout down", severity="SEV1", actor="U1")
        deadline = declared + 10
        while len(opened) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        stop.set()
        worker.join(5)
    assert len(opened) == 2
    assert opened[1] - declared < 2.0, opened[1] - declared
    assert len(cards) < 100, "the channel waited for the backlog of cards"
