"""Several replicas behave as one bot: nothing lost, nothing duplicated.

A small storm (two in-process replicas, each serving HTTP and delivering the outbox, on
PostgreSQL, against an emulator that answers with 429, 500 and slow replies), and workers that
die between a Slack call and its record, at each place where that used to post twice.
bench/storm.py runs the big one with separate processes and a real SIGKILL.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from slack_sdk import WebClient

from firefighter import faults
from firefighter.bootstrap import Core, build_app, build_core, build_dispatcher, http_app
from firefighter.db import utcnow
from firefighter.emulators.slack import SlackDriver, SlackEmulator
from firefighter.incidents import effects
from firefighter.incidents.models import Incident
from firefighter.outbox import Backoff, Dispatcher, Message
from firefighter.settings import Settings
from firefighter.slack import posting
from firefighter.slack.client import make_client
from firefighter.slack.handlers.incident_effects import SlackEffects
from firefighter.web import BackgroundServer
from tests.conftest import SLACK_DEADLINE_S
from tests.load.audit import audit, outbox_state
from tests.load.responders import ChannelWatch, Script, add_responders, play, responder, severity_of

SECRET = "storm-test-secret"

# PostgreSQL only: several replicas leasing from one outbox is what FOR UPDATE SKIP LOCKED is for.
pytestmark = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


class WorkerDied(BaseException):
    """Ends a delivery the way SIGKILL does: no outcome recorded, the lease left to expire.

    A BaseException, so neither the handler's error mapping nor the dispatcher catches it.
    """


@dataclass
class Replica:
    """One `firefighter serve` with its in-process worker: its own engine, server, dispatcher.

    The dispatcher's 1 s lease lets a test see a dead worker's item taken over at once.
    """

    core: Core
    server: BackgroundServer
    driver: SlackDriver
    dispatcher: Dispatcher

    def storm_dispatcher(self, settings: Settings) -> Dispatcher:
        """A dispatcher for the storm: a lease longer than any delivery, a quicker backoff.

        The backoff only shortens the test (5xx retries wait 0.1–2 s, not 0.5–300 s);
        what is retried and when it counts as an attempt is unchanged.
        """
        return build_dispatcher(
            self.core,
            posting.delivery_client(settings),
            lease_seconds=20,
            backoff=Backoff(base=0.2, cap=2.0),
        )


@dataclass
class Cluster:
    """Replicas on one database and one emulator."""

    emulator: SlackEmulator
    incidents_channel: str
    replicas: list[Replica]
    settings: Settings

    def incident(self, incident_id: int) -> Incident:
        """The incident as stored now."""
        with self.replicas[0].core.factory() as session:
            found = session.get(Incident, incident_id)
        assert found is not None
        return found


@pytest.fixture
def cluster(settings: Settings) -> Iterator[Cluster]:
    """Two replicas of the bot on the test's PostgreSQL database, and a fresh emulator."""
    emulator = SlackEmulator().start()
    incidents_channel = emulator.add_channel("incidents")
    settings.slack_bot_token = emulator.bot_token
    settings.slack_api_url = emulator.api_url
    settings.slack_signing_secret = SECRET
    settings.incidents_channel = incidents_channel
    replicas = []
    for _ in range(2):
        core = build_core(settings)  # the real clock: leases and Retry-After are real time
        app = http_app(
            core, build_app(core, make_client(settings)), slack_deadline_s=SLACK_DEADLINE_S
        )
        server = BackgroundServer(app)
        server.start()
        replicas.append(
            Replica(
                core=core,
                server=server,
                driver=SlackDriver(emulator, f"{server.url}/slack/events", SECRET, timeout=30),
                dispatcher=build_dispatcher(
                    core, posting.delivery_client(settings), lease_seconds=1
                ),
            )
        )
    try:
        yield Cluster(emulator, incidents_channel, replicas, settings)
    finally:
        for replica in replicas:
            replica.server.stop()
            replica.core.close()
        emulator.stop()


def wait_drained(cluster: Cluster, timeout: float) -> tuple[int, int, int]:
    """(delivered, dead, pending) once nothing is pending, or when the time is up."""
    deadline = time.monotonic() + timeout
    while True:
        state = outbox_state(cluster.replicas[0].core.factory)
        if state[2] == 0 or time.monotonic() > deadline:
            return state
        time.sleep(0.2)


def test_a_small_storm_on_two_replicas_loses_nothing_and_duplicates_nothing(
    cluster: Cluster,
) -> None:
    incidents, updates = 10, 3
    add_responders(cluster.emulator, incidents)
    for index in range(incidents):
        cluster.emulator.add_member(cluster.incidents_channel, responder(index))
    stop = threading.Event()

    def deliver(dispatcher: Dispatcher) -> None:
        # As the worker's delivery threads do: few items leased at a time, so that a slow
        # answer or a Retry-After holds up little behind it.
        while not stop.is_set():
            if dispatcher.run_once(limit=2) == 0:
                stop.wait(0.05)

    threads = [
        threading.Thread(target=deliver, args=(replica.storm_dispatcher(cluster.settings),))
        for replica in cluster.replicas
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    # Retry-After: 0 keeps the test short (a rate-limited item waits out the backoff's
    # 0.1-0.2 s); bench/storm.py runs the same storm with Retry-After: 1.
    cluster.emulator.faults(
        rate_429=0.2, rate_500=0.05, slow_rate=0.05, slow_seconds=0.3, retry_after=0, seed=11
    )
    watch = ChannelWatch(cluster.replicas[0].core.factory, interval=0.1)
    scripts = [
        Script(
            index=index,
            drivers=[r.driver for r in cluster.replicas],
            emulator=cluster.emulator,
            channels=watch,
            incidents_channel=cluster.incidents_channel,
            updates=updates,
            severity=severity_of(index),
            channel_timeout=120,
        )
        for index in range(incidents)
    ]
    try:
        with watch:
            play(scripts)
        delivered, dead, pending = wait_drained(cluster, timeout=180)
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)
        cluster.emulator.faults()

    faults = [c.fault for c in cluster.emulator.calls if c.fault]
    assert faults.count("ratelimited") > 10 and "server_error" in faults, "no storm happened"
    assert [e for s in scripts for e in s.errors] == []
    assert (dead, pending) == (0, 0) and delivered > incidents * (1 + updates + 8)
    result = audit(cluster.replicas[0].core, cluster.emulator, cluster.incidents_channel)
    assert result.duplicates == []
    assert result.lost == []
    assert result.incidents == result.channels == result.cards == result.announcements == 10
    assert (
        result.events_posted == result.events_expected == 10 * (updates * 2 + 4) + 1
    )  # + SEV2's postmortem move


CRASH_POINTS: dict[str, tuple[str, str, bool]] = {
    # name: (fault point, the detail it must match, whether it is reached opening the channel)
    "channel created, not recorded": (faults.CHANNEL_CREATED, "", True),
    "card posted, not recorded": (faults.CARD_POSTED, "", True),
    "announcement posted, not recorded": (faults.ANNOUNCEMENT_POSTED, "", True),
    # Every step done (channel, announcement, card, pin, invitations, topic) and the outcomes
    # written, but the transaction that records them with the delivery never commits.
    "channel opened, outcomes not committed": (
        faults.OUTCOME_RECORDED,
        effects.OPEN_CHANNEL,
        True,
    ),
    "update posted in the channel, not marked": (faults.POSTED_UNMARKED, ":channel", False),
    "update posted in the thread, not marked": (faults.POSTED_UNMARKED, ":thread", False),
}


@pytest.mark.parametrize("point", list(CRASH_POINTS))
def test_a_worker_that_dies_after_posting_before_recording_posts_nothing_twice(
    cluster: Cluster, point: str
) -> None:
    where, detail, while_opening = CRASH_POINTS[point]
    dying, survivor = cluster.replicas
    add_responders(cluster.emulator, 1)
    user = responder(0)
    cluster.emulator.add_member(cluster.incidents_channel, user)
    died: list[str] = []

    def die(reached: str) -> None:
        # Only the first time, and only in the dying replica's thread: the survivor lives.
        dying_thread = threading.current_thread().name == "dying-worker"
        if reached.endswith(detail) and not died and dying_thread:
            died.append(point)
            raise WorkerDied(point)

    dying.core.faults.arm(where, die)

    def dying_delivery() -> None:
        outcome: list[BaseException] = []

        def run() -> None:
            try:
                dying.dispatcher.drain()
            except WorkerDied as death:
                outcome.append(death)

        thread = threading.Thread(target=run, name="dying-worker")
        thread.start()
        thread.join(30)
        assert outcome and died == [point], "the worker did not die where it was meant to"

    dying.driver.slash_command("declare Payments time out", user, cluster.incidents_channel)
    assert dying.driver.submit_view(user, {"severity": "SEV3"}).body.strip() == ""
    if while_opening:
        dying_delivery()
    else:
        survivor.dispatcher.drain()
    with survivor.core.factory() as session:
        incident = session.query(Incident).one()
    if not while_opening:
        channel_id = cluster.incident(incident.id).channel_id or ""
        answer = survivor.driver.slash_command("update Rolled back the gateway", user, channel_id)
        assert "Update posted" in str(answer.body)
        dying_delivery()
    time.sleep(1.2)  # the dead worker's lease runs out; the survivor takes its item over
    survivor.dispatcher.drain()

    result = audit(survivor.core, cluster.emulator, cluster.incidents_channel)
    assert result.duplicates == []
    assert result.lost == []
    assert (result.channels, result.cards, result.announcements) == (1, 1, 1)
    fresh = cluster.incident(incident.id)
    channel = cluster.emulator.channel(fresh.channel_id or "")
    assert not channel.name.endswith("-2")
    assert channel.pins == [fresh.card_ts]
    if not while_opening:
        assert result.events_posted == result.events_expected == 2  # channel and thread


def test_the_lookup_finds_a_post_by_its_metadata_and_only_when_asked(settings: Settings) -> None:
    with SlackEmulator() as emulator:
        channel = emulator.add_channel("incidents")
        client = WebClient(token=emulator.bot_token, base_url=emulator.api_url)
        core = build_core(settings)
        try:
            poster = posting.OncePoster(core.factory, client)
            ts = poster.post("card:7", channel=channel, text="the card")
            client.chat_postMessage(channel=channel, text="someone else's message")

            plain = client.conversations_history(channel=channel)
            assert all("metadata" not in m for m in plain["messages"])
            tagged = client.conversations_history(channel=channel, include_all_metadata=True)
            keys = [posting.key_of(m) for m in tagged["messages"]]
            assert keys == [None, "card:7"]  # newest first

            # A delivery that finds its intent (the first one died) adopts the message...
            assert poster.post("card:7", channel=channel, text="the card") == ts
            assert [m.text for m in emulator.messages(channel)].count("the card") == 1
            # ...and a key with no intent behind it is simply posted.
            poster.post_and_mark("notice:8", channel=channel, text="a notice")
            poster.post_and_mark("notice:8", channel=channel, text="a notice")
            assert [m.text for m in emulator.messages(channel)].count("a notice") == 1
        finally:
            core.close()


def test_only_an_answer_that_proves_nothing_was_posted_spares_the_lookup(
    settings: Settings,
) -> None:
    with SlackEmulator() as emulator:
        channel = emulator.add_channel("incidents")
        client = posting.delivery_client(
            settings.model_copy(
                update={"slack_bot_token": emulator.bot_token, "slack_api_url": emulator.api_url}
            )
        )
        core = build_core(settings)
        try:
            poster = posting.OncePoster(core.factory, client)
            # Each post is tried POST_ATTEMPTS times in place before the error comes back.
            emulator.faults(rate_429=1.0, methods=["chat.postMessage"], limit=posting.POST_ATTEMPTS)
            with pytest.raises(Exception, match="ratelimited"):
                poster.post("event:1:channel", channel=channel, text="update")
            emulator.fail_next("chat.postMessage", "channel_not_found")
            with pytest.raises(Exception, match="channel_not_found"):
                poster.post("event:2:channel", channel=channel, text="other")
            emulator.fail_next("chat.postMessage", "internal_error", times=posting.POST_ATTEMPTS)
            with pytest.raises(Exception, match="internal_error"):
                poster.post("event:3:channel", channel=channel, text="third")
            emulator.clear_calls()
            for n, text in ((1, "update"), (2, "other"), (3, "third")):
                poster.post(f"event:{n}:channel", channel=channel, text=text)
            methods = [c.method for c in emulator.calls]
            # A 429 or a refusal proves nothing was posted: the retry posts straight away.
            # Slack says an internal_error may have done part of the work: look first.
            assert methods == [
                "chat.postMessage",
                "chat.postMessage",
                "conversations.history",
                "chat.postMessage",
            ]
            assert [m.text for m in emulator.messages(channel)] == ["update", "other", "third"]
        finally:
            core.close()


def test_reclaim_channel_finds_only_an_open_channel_this_bot_created_for_the_incident(
    settings: Settings,
) -> None:
    with SlackEmulator() as emulator:
        client = WebClient(token=emulator.bot_token, base_url=emulator.api_url)
        declared = utcnow()
        for n in range(250):  # more than one page of conversations.list
            client.conversations_create(name=f"other-{n}")
        made = client.conversations_create(name="inc-20260302-7-dns")["channel"]
        closed = client.conversations_create(name="inc-20260302-8-cdn")["channel"]
        client.conversations_archive(channel=closed["id"])
        emulator.add_channel("inc-20260302-9-db")  # a person made it, not the bot

        def reclaim(name: str, bot: str = emulator.bot_user_id, since: datetime = declared) -> Any:
            return posting.reclaim_channel(client, name, bot, not_before=since)

        assert reclaim("inc-20260302-7-dns")["id"] == made["id"]
        assert reclaim("inc-20260302-8-cdn") is None  # archived: not a channel to work in
        assert reclaim("inc-20260302-9-db") is None
        assert reclaim("inc-20260302-6-none") is None
        assert reclaim("inc-20260302-7-dns", bot="U0OTHERBOT") is None
        # Made before the incident existed: a namesake from an earlier database.
        assert reclaim("inc-20260302-7-dns", since=declared + timedelta(hours=1)) is None


def test_a_post_mortem_link_and_bookmark_survive_redeliveries_without_repeating(
    cluster: Cluster,
) -> None:
    survivor = cluster.replicas[1]
    add_responders(cluster.emulator, 1)
    user = responder(0)
    survivor.driver.slash_command("declare Search is slow", user, cluster.incidents_channel)
    survivor.driver.submit_view(user, {"severity": "SEV2"})
    survivor.dispatcher.drain()
    with survivor.core.factory() as session:
        incident = session.query(Incident).one()
    message = Message(
        id=10_000,
        kind=effects.POSTMORTEM_PUBLISHED,
        payload={"incident_id": incident.id, "url": "https://wiki.example/pm/1", "first": True},
        incident_id=incident.id,
        attempts=0,
    )
    handler = SlackEffects(
        survivor.core.settings,
        survivor.core.service,
        posting.delivery_client(cluster.settings),
        drill_invitees=survivor.core.gamedays().invitees,
        faults=survivor.core.faults,
    )
    died: list[str] = []

    def die(key: str) -> None:
        if key == f"postmortem:{message.id}" and not died:
            died.append("after the link, before its mark")
            raise WorkerDied(died[0])

    survivor.core.faults.arm(faults.POSTED_UNMARKED, die)
    with pytest.raises(WorkerDied):
        handler.postmortem_published(message)
    handler.postmortem_published(message)  # the lease expired: the item is handled again
    handler.postmortem_published(message)  # done, but the worker died before recording it

    channel = cluster.emulator.channel(cluster.incident(incident.id).channel_id or "")
    links = [m for m in channel.messages if "post-mortem is ready" in m.text]
    assert len(links) == 1
    assert [b["link"] for b in channel.bookmarks] == ["https://wiki.example/pm/1"]
