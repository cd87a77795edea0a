"""Stopping as a rolling update stops pods: SIGTERM loses nothing, repeats nothing, waits little.

Real `firefighter serve` and `firefighter worker` processes on PostgreSQL (several processes on
one outbox is what it is for), talking to the Slack emulator over loopback HTTP; a small
rolling restart checks that no effect is lost or repeated (bench/rolling.py measures a big one
under a storm).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from firefighter.bootstrap import Core, build_core, build_dispatcher
from firefighter.db import transaction
from firefighter.emulators.slack import BotResponse, SlackDriver, SlackEmulator
from firefighter.incidents.models import Incident
from firefighter.outbox import Message, enqueue
from firefighter.outbox.models import OutboxItem
from firefighter.serving import STOP_WITHIN
from firefighter.settings import Settings
from firefighter.slack.posting import delivery_client
from tests.load.audit import audit, leases_held, outbox_state
from tests.load.processes import Fleet

SECRET = "shutdown-test-secret"

on_postgresql = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


@pytest.fixture
def emulator() -> Iterator[SlackEmulator]:
    """A fresh Slack emulator on loopback."""
    with SlackEmulator() as running:
        yield running


@pytest.fixture
def fleet(settings: Settings, emulator: SlackEmulator, tmp_path: Path) -> Iterator[Fleet]:
    """Starts FireFighter processes on the test's database and emulator; stops them after."""
    channel = emulator.add_channel("incidents")
    settings.slack_bot_token = emulator.bot_token
    settings.slack_api_url = emulator.api_url
    settings.slack_signing_secret = SECRET
    settings.incidents_channel = channel
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "SLACK_BOT_TOKEN": emulator.bot_token,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": emulator.api_url,
        "FIREFIGHTER_INCIDENTS_CHANNEL": channel,
        "FIREFIGHTER_POSTMORTEM_DIR": str(tmp_path / "postmortems"),
        # One thread leasing two items at a time, and a lease no test waits out.
        "FIREFIGHTER_OUTBOX_THREADS": "1",
        "FIREFIGHTER_OUTBOX_LEASE_SECONDS": "120",
    }
    started = Fleet(env, tmp_path)
    try:
        yield started
    finally:
        started.close()


@pytest.fixture
def real_time_core(settings: Settings) -> Iterator[Core]:
    """The database as the processes see it, with the real clock: leases are real time."""
    opened = build_core(settings)
    yield opened
    opened.close()


@on_postgresql
def test_serve_finishes_a_request_in_flight_on_sigterm_then_refuses_connections(
    fleet: Fleet, emulator: SlackEmulator, settings: Settings
) -> None:
    serve = fleet.serve()
    emulator.add_user("U_ALICE", "alice")
    driver = SlackDriver(emulator, serve.url, SECRET, timeout=30)
    # The declare form opens within the request (views.open); Slack answers it slowly (not
    # slower than the bot waits for a form to open: the trigger expires after 3 s).
    emulator.faults(slow_rate=1.0, slow_seconds=2.0, methods=["views.open"])
    answers: list[BotResponse] = []
    request = threading.Thread(
        target=lambda: answers.append(
            driver.slash_command("declare Checkout down", "U_ALICE", settings.incidents_channel)
        )
    )
    request.start()
    time.sleep(0.8)  # the request is in serve, waiting on views.open's 2 s
    took = fleet.stop(serve)
    request.join(30)

    assert answers and answers[0].status == 200, "the request in flight was cut"
    assert emulator.current_view("U_ALICE") is not None
    # Timing is the point here: serve waited for the answer, and did not wait out its budget.
    assert 1.0 < took < STOP_WITHIN, "serve exited before the answer, or too late"
    assert "Traceback" not in serve.output()
    assert serve.port is not None
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", serve.port), 1):
        pass


@on_postgresql
def test_a_worker_on_sigterm_hands_back_what_it_leased_and_another_delivers_it_at_once(
    fleet: Fleet, emulator: SlackEmulator, settings: Settings, real_time_core: Core
) -> None:
    core = real_time_core
    for n in range(3):
        core.service.declare(title=f"Outage {n}", severity="SEV3", actor=None)
    # Opening a channel starts with conversations.create: the first one answers after 8 s, so
    # the first item is surely still in delivery, and the second waits behind it in the batch,
    # when SIGTERM comes (a 2 s window was missed once on a loaded machine).
    emulator.faults(slow_rate=1.0, slow_seconds=8.0, methods=["conversations.create"], limit=1)
    worker = fleet.worker()
    deadline = time.monotonic() + 30
    while leases_held(core.factory, worker.popen.pid) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert leases_held(core.factory, worker.popen.pid) == 2
    took = fleet.stop(worker)

    assert took < STOP_WITHIN, "the worker waited out its whole stop budget"
    assert "handed back 1 outbox item" in worker.output(), worker.output()
    assert "Traceback" not in worker.output()
    with core.factory() as session:
        rows = list(session.scalars(select(OutboxItem).order_by(OutboxItem.id)))
    assert rows[0].delivered_at is not None, "the delivery under way was finished"
    assert (rows[1].delivered_at, rows[1].locked_by, rows[1].locked_until) == (None, None, None)
    emulator.faults()
    # The lease is 120 s: only an item handed back can be taken now.
    other = build_dispatcher(core, delivery_client(settings), lease_seconds=120)
    assert other.drain() == 2
    assert outbox_state(core.factory) == (3, 0, 0)
    channels = [c.name for c in emulator.channels if c.name.startswith("inc-")]
    assert len(channels) == len(set(channels)) == 3


@on_postgresql
def test_a_handler_slower_than_its_lease_is_not_delivered_twice(real_time_core: Core) -> None:
    core = real_time_core
    calls: list[tuple[str, int]] = []

    def slow(name: str) -> Callable[[Message], None]:
        def handle(message: Message) -> None:
            calls.append((name, message.id))
            time.sleep(4.5)  # more than three leases

        return handle

    # A lease long enough that a busy machine's scheduling jitter cannot outlast the heartbeat
    # (a third of a lease), yet shorter than the handler.
    first, second = core.dispatcher(lease_seconds=1.4), core.dispatcher(lease_seconds=1.4)
    first.register("slow", slow("first"))
    second.register("slow", slow("second"))
    with transaction(core.factory) as session:
        enqueue(session, "slow", {}, now=core.service.clock())
    running = threading.Thread(target=first.run_once)
    running.start()
    # Once the first worker holds the item (not before: a race for the claim is not the
    # point), the other keeps polling all the while, as a second replica does.
    deadline = time.monotonic() + 10
    while not calls and time.monotonic() < deadline:
        time.sleep(0.01)
    while running.is_alive():
        second.run_once()
        time.sleep(0.05)
    running.join()
    assert [name for name, _ in calls] == ["first"]
    assert second.run_once() == 0
    assert outbox_state(core.factory) == (1, 0, 0)
    assert first.heartbeat.held() == []


WORKER_METHODS = [
    "conversations.create",
    "chat.postMessage",
    "chat.update",
    "pins.add",
    "conversations.invite",
    "conversations.setTopic",
]


def declare(driver: SlackDriver, emulator: SlackEmulator, user: str, channel: str) -> None:
    """`/incident declare` and its form, as a person does it."""
    opened = driver.slash_command(f"declare Rollout {user} checkout errors", user, channel)
    assert opened.status == 200 and not opened.body.strip(), opened.body
    assert emulator.current_view(user) is not None, "the declare form did not open"
    answer = driver.submit_view(user, {"severity": "SEV3"})
    assert answer.status == 200 and not answer.body.strip(), answer.body


def wait_drained(core: Core, timeout: float) -> tuple[int, int, int]:
    """(delivered, dead, pending) once nothing is pending, or when the time is up."""
    deadline = time.monotonic() + timeout
    while (state := outbox_state(core.factory))[2] and time.monotonic() < deadline:
        time.sleep(0.2)
    return state


@on_postgresql
def test_a_rolling_restart_loses_and_repeats_no_effect(
    fleet: Fleet, emulator: SlackEmulator, settings: Settings, real_time_core: Core
) -> None:
    """Every serve and worker replaced twice, as a rolling update does it, while effects are in
    delivery: each channel, card, announcement and update is in Slack once.

    The requests go to the serve in the balancer, one at a time: how many a rollout under a
    storm costs, and how long each stop takes, is bench/rolling.py's measure, not this test's.
    """
    core = real_time_core
    users = [f"U0ROLL{n}" for n in range(6)]
    for user in users:
        emulator.add_user(user, user.lower())
        emulator.add_member(settings.incidents_channel, user)
    serve, worker = fleet.serve(), fleet.worker()
    # Slack is slow or refuses one call in four of the worker's, so every stop finds
    # deliveries under way and items waiting in the batch.
    emulator.faults(
        rate_429=0.1,
        slow_rate=0.15,
        slow_seconds=1.0,
        retry_after=0,
        seed=5,
        methods=WORKER_METHODS,
    )
    for rollout in range(2):
        driver = SlackDriver(emulator, serve.url, SECRET, timeout=60)
        for user in users[rollout * 3 : rollout * 3 + 3]:
            declare(driver, emulator, user, settings.incidents_channel)
        with core.factory() as session:
            ids = list(session.scalars(select(Incident.id).order_by(Incident.id)))
        for incident_id in ids:
            core.service.add_update(incident_id, f"Rollout {rollout}: rolled back", actor=users[0])
        # maxSurge 1, maxUnavailable 0: the new process is up before the old one is stopped.
        fresh_serve = fleet.serve()
        fleet.stop(serve)
        serve = fresh_serve
        fresh_worker = fleet.worker()
        fleet.stop(worker)
        worker = fresh_worker

    delivered, dead, pending = wait_drained(core, timeout=240)
    emulator.faults()
    assert (dead, pending) == (0, 0) and delivered > 0
    result = audit(core, emulator, settings.incidents_channel)
    assert result.lost == [] and result.duplicates == [], result.lines()
    assert result.incidents == result.channels == result.cards == result.announcements == 6
    assert result.events_posted == result.events_expected == 3 * 2 + 6 * 2  # updates: 2 places
    assert fleet.tracebacks() == []
    assert len(fleet.stop_times) == 4
