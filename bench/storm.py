"""Several replicas behave as one bot: nothing lost, nothing duplicated, in a Slack storm.

N incidents (200 by default) are declared at the same time through the Slack emulator; each
gets 10 updates and walks to closed (every tenth is a SEV2 that goes through its post-mortem).
Requests alternate between 2 `firefighter serve --no-worker` processes; 2 `firefighter worker`
processes deliver the outbox; all share one fresh PostgreSQL database (`ff_storm_<random>` on
the server of TEST_DATABASE_URL, dropped at the end). The emulator answers 20 % of Web API
calls with 429 (Retry-After), 5 % with 500 and 2 % after 2 s. When half the expected effects
are delivered, one worker is killed with SIGKILL while it holds leases; nothing replaces it.

When the outbox is empty (or the time is up) the bench reads what Slack shows and checks it
against the database: one channel, one pinned card and one announcement per incident, both
drawn in the final state; every timeline event that should be posted posted once in the
channel (updates once more in the announcement's thread); no dead letters. The last line is
`storm_lost=<n> storm_duplicates=<n>`.

Which Slack it models: the emulator WITHOUT Slack's rate-limit tiers, and the bot's
pacing OFF (the bench sets FIREFIGHTER_SLACK_PACING=false for its processes itself,
whatever the shell says). It measures leases, retries and restarts under 429s and 500s
drawn at random, not Slack's pace: 200 channels at `conversations.create`'s Tier 2 (20 a
minute) would take ten minutes by themselves. bench/burst.py and bench/containment.py
measure the pace, with the tiers on.

    .venv/bin/python bench/storm.py [--incidents 200] [--updates 10] [--lease 30]
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import ColumnElement, create_engine, func, make_url, select, text
from sqlalchemy.orm import Session, selectinload, sessionmaker

from firefighter.bootstrap import Core, build_core
from firefighter.db import upgrade, utcnow
from firefighter.emulators.slack import Message, SlackDriver, SlackEmulator, blocks_text
from firefighter.incidents import effects
from firefighter.incidents.models import Incident, TimelineEvent
from firefighter.outbox.models import OutboxItem
from firefighter.settings import Settings
from firefighter.slack.blocks.common import as_dicts
from firefighter.slack.blocks.incident import (
    announcement,
    event_text,
    fallback_text,
    incident_card,
    postmortem_link,
)
from firefighter.slack.context import card_context
from firefighter.slack.outage import OUTAGE

SECRET = "storm-signing-secret"
ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
CHANNEL_NAME = re.compile(r"^inc-\d{8}-(\d+)-")
REFERENCE = re.compile(r"\bINC-(\d+)\b")
SLACK_MODEL = (
    "Slack modelled: the emulator without rate-limit tiers, the bot's pacing off "
    "(FIREFIGHTER_SLACK_PACING=false, set by this bench); 429s and 500s at random"
)


# ---------------------------------------------------------------------------
# The audit: what Slack shows against what the database says should be there
# ---------------------------------------------------------------------------


@dataclass
class Audit:
    """What Slack shows, checked against the database."""

    incidents: int = 0
    channels: int = 0
    cards: int = 0
    announcements: int = 0
    events_expected: int = 0
    events_posted: int = 0
    dead: int = 0
    pending: int = 0
    lost: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The report, one fact a line."""
        out = [
            f"incidents {self.incidents} | channels {self.channels} | pinned cards "
            f"{self.cards} | announcements {self.announcements}",
            f"timeline events to post {self.events_expected} (channel + announcement thread "
            f"for updates), posted {self.events_posted}",
            f"outbox: dead letters {self.dead}, still pending {self.pending}",
            f"duplicate messages: {len(self.duplicates)}",
        ]
        out += [f"    duplicate: {line}" for line in self.duplicates[:20]]
        out.append(f"lost effects: {len(self.lost)}")
        out += [f"    lost: {line}" for line in self.lost[:20]]
        return out


@dataclass
class _Stored:
    """What the database says, read in one session."""

    incidents: list[Incident]
    events: dict[int, TimelineEvent]
    posts: list[OutboxItem]
    published: list[OutboxItem]
    dead: int
    pending: int


def _read(core: Core) -> _Stored:
    with core.factory() as session:
        incidents = list(
            session.scalars(
                select(Incident).options(selectinload(Incident.roles)).order_by(Incident.id)
            )
        )
        events = {e.id: e for e in session.scalars(select(TimelineEvent))}

        def items(kind: str) -> list[OutboxItem]:
            return list(session.scalars(select(OutboxItem).where(OutboxItem.kind == kind)))

        posts, published = items(effects.POST_EVENT), items(effects.POSTMORTEM_PUBLISHED)
    _, dead, pending = outbox_state(core.factory)
    return _Stored(incidents, events, posts, published, dead, pending)


class _Auditor:
    """Walks the emulator's state once per check; `audit` is the entry point."""

    def __init__(self, core: Core, emulator: SlackEmulator, incidents_channel: str) -> None:
        self.core = core
        self.bot = emulator.bot_user_id
        self.channels = {c.id: c for c in emulator.channels}
        self.incidents_channel = incidents_channel
        self.result = Audit()

    def said(self, channel_id: str) -> list[Message]:
        """The bot's messages in a channel, replies included (none if no such channel)."""
        channel = self.channels.get(channel_id)
        return [m for m in channel.messages if m.user == self.bot] if channel else []

    def repeated_texts(self) -> None:
        """Any text twice in one channel or thread is a duplicate, whatever posted it."""
        for channel in self.channels.values():
            places: dict[str | None, Counter[str]] = {}
            for message in self.said(channel.id):
                where = message.thread_ts if message.is_reply else None
                places.setdefault(where, Counter())[message.text] += 1
            for thread_ts, texts in places.items():
                label = f"#{channel.name}" + (f" thread {thread_ts}" if thread_ts else "")
                self.result.duplicates += [
                    f"{label}: {text[:90]!r} ×{n}" for text, n in texts.items() if n > 1
                ]

    def incident(self, incident: Incident) -> None:
        """Its channel, pinned card and announcement: there, alone, and in the final state."""
        ref, result = incident.reference, self.result
        extra = [
            c.name
            for c in self.channels.values()
            if c.creator == self.bot
            and (m := CHANNEL_NAME.match(c.name)) is not None
            and int(m.group(1)) == incident.id
            and c.id != incident.channel_id
        ]
        result.duplicates += [f"{ref}: extra channel #{name}" for name in extra]
        channel = self.channels.get(incident.channel_id or "")
        if channel is None:
            result.lost.append(f"{ref}: no channel")
            return
        result.channels += 1
        context = card_context(self.core.service, self.core.settings, incident)
        cards = [
            m
            for m in self.said(channel.id)
            if not m.is_reply and m.blocks and m.blocks[0].get("type") == "header"
        ]
        result.duplicates += [f"{ref}: extra card {m.ts}" for m in cards[1:]]
        card = next((m for m in cards if m.ts == incident.card_ts), None)
        if card is None or incident.card_ts not in channel.pins:
            result.lost.append(f"{ref}: no pinned card")
        else:
            result.cards += 1
            drawn = as_dicts(incident_card(incident, context))
            if card.text != fallback_text(incident) or (
                blocks_text(card.blocks) != blocks_text(drawn)
            ):
                result.lost.append(f"{ref}: the card does not show it {incident.status}")
        announced = [
            m
            for m in self.said(self.incidents_channel)
            if not m.is_reply
            and m.text.startswith(":fire: ")
            and (found := REFERENCE.search(m.text)) is not None
            and int(found.group(1)) == incident.id
        ]
        result.duplicates += [f"{ref}: extra announcement {m.ts}" for m in announced[1:]]
        shown = next((m for m in announced if m.ts == incident.announcement_ts), None)
        if shown is None:
            result.lost.append(f"{ref}: no announcement")
            return
        result.announcements += 1
        drawn = as_dicts(announcement(incident, context))
        if shown.text != ":fire: " + fallback_text(incident) or (
            blocks_text(shown.blocks) != blocks_text(drawn)
        ):
            result.lost.append(f"{ref}: the announcement does not show it {incident.status}")

    def event(self, event: TimelineEvent, incident: Incident) -> None:
        """The event in the channel, and an update also in the announcement's thread."""
        wanted = event_text(event, incident)
        places: list[tuple[str, str | None]] = [(incident.channel_id or "", None)]
        if event.kind == "update" and incident.announcement_ts:
            places.append((incident.announcement_channel or "", incident.announcement_ts))
        for channel_id, thread_ts in places:
            self.result.events_expected += 1
            if any(
                m.text == wanted and (m.thread_ts == thread_ts if thread_ts else not m.is_reply)
                for m in self.said(channel_id)
            ):
                self.result.events_posted += 1
            else:
                where = "thread" if thread_ts else "channel"
                self.result.lost.append(
                    f"{incident.reference}: {event.kind} event {event.id} not in the {where}"
                )


def audit(core: Core, emulator: SlackEmulator, incidents_channel: str) -> Audit:
    """Compare the emulator's channels with the database's incidents, events and outbox."""
    stored = _read(core)
    auditor = _Auditor(core, emulator, incidents_channel)
    result = auditor.result
    result.incidents, result.dead, result.pending = (
        len(stored.incidents),
        stored.dead,
        stored.pending,
    )
    if stored.dead:
        result.lost.append(f"{stored.dead} dead-lettered outbox item(s)")
    if stored.pending:
        result.lost.append(f"{stored.pending} outbox item(s) never delivered")
    auditor.repeated_texts()
    by_id = {i.id: i for i in stored.incidents}
    for incident in stored.incidents:
        auditor.incident(incident)
    for item in stored.posts:
        event = stored.events.get(int(item.payload["event_id"]))
        owner = by_id.get(int(item.payload["incident_id"]))
        if event is None or owner is None:
            result.lost.append(f"outbox item {item.id}: its event or incident is gone")
        else:
            auditor.event(event, owner)
    for item in stored.published:
        owner = by_id.get(int(item.payload["incident_id"]))
        wanted = postmortem_link(str(item.payload["url"]), bool(item.payload["first"]))
        if owner is None or not any(wanted in m.text for m in auditor.said(owner.channel_id or "")):
            result.lost.append(f"post-mortem link of outbox item {item.id} not posted")
    return result


# ---------------------------------------------------------------------------
# What each responder does
# ---------------------------------------------------------------------------


class ChannelWatch:
    """Tells responders when their incident's channel exists.

    One thread reads the incidents table for everybody: a query per responder would load the
    database as much as the bot does.
    """

    def __init__(self, factory: sessionmaker[Session], interval: float = 0.5) -> None:
        self.factory = factory
        self.interval = interval
        self.stop = threading.Event()
        self._found: dict[str, tuple[int, str]] = {}
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._poll, name="channel-watch", daemon=True)

    def __enter__(self) -> ChannelWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        with self._changed:
            self._changed.notify_all()
        self._thread.join(5)

    def _poll(self) -> None:
        while not self.stop.wait(self.interval):
            with self.factory() as session:
                rows = session.execute(
                    select(Incident.title, Incident.id, Incident.channel_id).where(
                        Incident.channel_id.is_not(None)
                    )
                ).all()
            with self._changed:
                self._found = {r.title: (int(r.id), str(r.channel_id)) for r in rows}
                self._changed.notify_all()

    def wait(self, title: str, timeout: float) -> tuple[int, str] | None:
        """(incident id, channel id) of the incident titled `title`, or None on timeout."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while title not in self._found and not self.stop.is_set():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._changed.wait(remaining)
            return self._found.get(title)


@dataclass
class Script:
    """One responder's incident: declare through the modal, post updates, walk to closed."""

    index: int
    drivers: Sequence[SlackDriver]
    emulator: SlackEmulator
    channels: ChannelWatch
    incidents_channel: str
    updates: int
    severity: str
    channel_timeout: float = 300.0
    think: float = 0.0
    """Seconds the responder waits before each command in the channel."""
    sent: int = 0
    declare_tries: int = 0
    outages: int = 0
    """Answers "the incident database is unavailable" (the request timed out under load)."""
    errors: list[str] = field(default_factory=list)

    @property
    def user(self) -> str:
        """The responder's Slack user id."""
        return responder(self.index)

    @property
    def title(self) -> str:
        """A title no other incident of the storm has."""
        return f"Storm {self.index:04d}: checkout answers 502"

    def _driver(self) -> SlackDriver:
        # Alternate between the serve replicas, as a load balancer would.
        driver = self.drivers[(self.index + self.sent) % len(self.drivers)]
        self.sent += 1
        return driver

    def declare(self) -> None:
        """`/incident declare`, then submit the modal; a form Slack failed to open is retried."""
        for _ in range(10):
            if self.channels.stop.is_set():
                return
            self.declare_tries += 1
            opened = self._driver().slash_command(
                f"declare {self.title}", self.user, self.incidents_channel
            )
            view = self.emulator.current_view(self.user)
            if opened.status == 200 and not opened.body.strip() and view is not None:
                answer = self._driver().submit_view(self.user, {"severity": self.severity})
                for _ in range(5):
                    if OUTAGE[:100] not in answer.body:
                        break
                    self.outages += 1  # the form stays open with the outage under it
                    time.sleep(1.0)
                    answer = self._driver().submit_view(self.user, {"severity": self.severity})
                if answer.status == 200 and not answer.body.strip():
                    return
                self.errors.append(f"declare submission answered {answer.status} {answer.body}")
                return
            time.sleep(0.5)  # "Slack did not open the form in time": the responder tries again
        self.errors.append("the declare form never opened")

    def channel(self) -> tuple[int, str] | None:
        """(incident id, channel id) once the worker has made the channel."""
        found = self.channels.wait(self.title, self.channel_timeout)
        if found is None:
            self.errors.append("no channel appeared")
        return found

    def command(self, channel_id: str, words: str, expect: str) -> None:
        """`/incident <words>` in the incident channel; the reply must contain `expect`."""
        if self.think:
            time.sleep(self.think)
        for _ in range(5):
            answer = self._driver().slash_command(words, self.user, channel_id)
            reply = answer.json.get("text", "") if isinstance(answer.json, dict) else answer.body
            if OUTAGE not in str(reply):
                break
            # "Try again in a minute": nothing was changed, so the responder tries again.
            self.outages += 1
            time.sleep(1.0)
        if answer.status != 200 or expect not in str(reply):
            self.errors.append(f"{words!r} answered {answer.status}: {str(reply)[:120]}")

    def run(self) -> None:
        """Play the whole incident."""
        self.declare()
        if self.errors:
            return
        found = self.channel()
        if found is None:
            return
        incident_id, channel_id = found
        ref = f"INC-{incident_id}"
        for n in range(1, self.updates + 1):
            self.command(
                channel_id, f"update {self.title}, update {n}/{self.updates}", "Update posted"
            )
        for status in ("investigating", "mitigating", "mitigated"):
            self.command(channel_id, status, f"{ref} is now {status}")
        if self.severity in ("SEV1", "SEV2"):
            self.command(channel_id, "postmortem", "now in post-mortem")
        self.command(channel_id, "close", f"{ref} is closed")


def responder(index: int) -> str:
    """The Slack user id of the storm's `index`-th responder."""
    return f"U0STORM{index:04d}"


def add_responders(emulator: SlackEmulator, count: int) -> None:
    """One Slack user per incident: each declares and drives their own."""
    for index in range(count):
        emulator.add_user(responder(index), f"storm.responder{index}")


def severity_of(index: int) -> str:
    """Every tenth incident needs a post-mortem (SEV2); the others close from mitigated."""
    return "SEV2" if index % 10 == 9 else "SEV3"


def expected_items(incidents: int, updates: int) -> int:
    """Outbox items the storm will deliver, to know when it is halfway."""
    total = 0
    for index in range(incidents):
        # open_channel, one post per update, post + refresh per move
        total += 1 + updates + 2 * 4
        if severity_of(index) != "SEV3":
            # one more move, the export, its refresh and its link
            total += 2 + 3
    return total


def outbox_state(factory: sessionmaker[Session]) -> tuple[int, int, int]:
    """(delivered, dead, pending) outbox items."""
    with factory() as session:

        def count(*where: ColumnElement[bool]) -> int:
            return int(
                session.scalar(select(func.count()).select_from(OutboxItem).where(*where)) or 0
            )

        return (
            count(OutboxItem.delivered_at.is_not(None)),
            count(OutboxItem.dead_at.is_not(None)),
            count(OutboxItem.delivered_at.is_(None), OutboxItem.dead_at.is_(None)),
        )


# ---------------------------------------------------------------------------
# The bench: database, processes, storm, kill, drain, audit
# ---------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def fresh_database() -> Iterator[str]:
    """A migrated database `ff_storm_<random>` next to TEST_DATABASE_URL, dropped after."""
    name = f"ff_storm_{uuid.uuid4().hex[:10]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def wait_listening(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    """Block until `process` accepts connections on `port`."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited during start-up")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{what}: nothing listens on {port}")


def leases_held(factory: sessionmaker[Session], pid: int) -> int:
    """Outbox items leased right now by the worker process `pid`."""
    with factory() as session:
        return int(
            session.scalar(
                select(func.count()).where(
                    OutboxItem.locked_by.like(f"%:{pid}:%"),
                    OutboxItem.locked_until > utcnow(),
                    OutboxItem.delivered_at.is_(None),
                )
            )
            or 0
        )


@dataclass
class Kill:
    """When and whom the bench killed."""

    pid: int = 0
    at: float = 0.0
    leases: int = 0
    delivered: int = 0


def kill_halfway(
    factory: sessionmaker[Session],
    worker: subprocess.Popen[bytes],
    halfway: int,
    started: float,
    deadline: float,
) -> Kill:
    """SIGKILL `worker` once `halfway` items are delivered, at a moment it holds leases."""
    kill = Kill(pid=worker.pid)
    while outbox_state(factory)[0] < halfway and time.monotonic() < deadline:
        time.sleep(0.2)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and leases_held(factory, worker.pid) == 0:
        time.sleep(0.05)
    kill.leases = leases_held(factory, worker.pid)
    kill.delivered = outbox_state(factory)[0]
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(10)
    kill.at = time.monotonic() - started
    return kill


def drain(factory: sessionmaker[Session], deadline: float) -> tuple[int, int, int]:
    """Wait until nothing is pending in the outbox or the deadline passes."""
    while True:
        state = outbox_state(factory)
        if state[2] == 0 or time.monotonic() > deadline:
            return state
        time.sleep(0.5)


def call_summary(emulator: SlackEmulator) -> list[str]:
    """How many Web API calls the bot made, and how many got a fault."""
    calls = emulator.calls
    faults = Counter(c.fault for c in calls if c.fault)
    methods = Counter(c.method for c in calls)
    top = ", ".join(f"{m} {n}" for m, n in methods.most_common(8))
    return [
        f"Slack Web API calls {len(calls)}: 429 {faults['ratelimited']}, "
        f"500 {faults['server_error']}, slow {faults['slow']}",
        f"    by method: {top}",
    ]


def play(scripts: Sequence[Script]) -> None:
    """Run every responder at once; Ctrl-C stops them rather than waiting for them."""
    threads = [
        threading.Thread(target=script.run, name=f"responder-{script.index}", daemon=True)
        for script in scripts
    ]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
    except KeyboardInterrupt:
        for script in scripts:
            script.channels.stop.set()
        raise


def main(argv: Sequence[str] | None = None) -> int:
    """Run the storm and print the report; the exit code is 1 when anything was lost or
    duplicated."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--incidents", type=int, default=200)
    parser.add_argument("--updates", type=int, default=10)
    parser.add_argument("--serve", type=int, default=2, help="serve --no-worker processes")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--threads", type=int, default=8, help="delivery threads per worker")
    parser.add_argument("--lease", type=float, default=30.0, help="outbox lease, seconds")
    parser.add_argument("--rate-429", type=float, default=0.2)
    parser.add_argument("--rate-500", type=float, default=0.05)
    parser.add_argument("--slow-rate", type=float, default=0.02)
    parser.add_argument("--slow-seconds", type=float, default=2.0)
    parser.add_argument("--retry-after", type=int, default=1)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--no-kill", action="store_true", help="keep every worker alive")
    parser.add_argument("--timeout", type=float, default=540.0, help="give up after, seconds")
    args = parser.parse_args(argv)

    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory() as tmp,
        SlackEmulator() as emulator,
        fresh_database() as url,
    ):
        workdir = Path(tmp)
        add_responders(emulator, args.incidents)
        incidents_channel = emulator.add_channel(
            "incidents", members=[responder(i) for i in range(args.incidents)]
        )
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "SLACK_BOT_TOKEN": emulator.bot_token,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": emulator.api_url,
            "FIREFIGHTER_INCIDENTS_CHANNEL": incidents_channel,
            "FIREFIGHTER_POSTMORTEM_DIR": str(workdir / "postmortems"),
            # The Slack this bench models has no tiers (see the docstring): no pacing either.
            "FIREFIGHTER_SLACK_PACING": "false",
            # Proposed settings (issue 6); ignored by a FireFighter that does not know them.
            "FIREFIGHTER_OUTBOX_LEASE_SECONDS": str(args.lease),
            "FIREFIGHTER_OUTBOX_THREADS": str(args.threads),
        }
        processes: list[subprocess.Popen[bytes]] = []

        def spawn(arguments: list[str], log_name: str) -> subprocess.Popen[bytes]:
            log = (workdir / log_name).open("wb")
            process = subprocess.Popen(
                [sys.executable, "-m", "firefighter.cli", *arguments],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=workdir,
            )
            processes.append(process)
            return process

        try:
            ports = [free_port() for _ in range(args.serve)]
            serves = [
                spawn(["serve", "--no-worker", "--port", str(port)], f"serve{n}.log")
                for n, port in enumerate(ports)
            ]
            workers = [spawn(["worker"], f"worker{n}.log") for n in range(args.workers)]
            for port, process in zip(ports, serves, strict=True):
                wait_listening(port, process, "firefighter serve")
            drivers = [
                SlackDriver(emulator, f"http://127.0.0.1:{port}/slack/events", SECRET, timeout=60)
                for port in ports
            ]
            settings = Settings(_env_file=None, database_url=url)
            core = build_core(settings)
            emulator.faults(
                rate_429=args.rate_429,
                rate_500=args.rate_500,
                slow_rate=args.slow_rate,
                slow_seconds=args.slow_seconds,
                retry_after=args.retry_after,
                seed=args.seed,
            )
            ready = time.monotonic()
            print(
                f"storm: {args.incidents} incidents × {args.updates} updates, "
                f"{args.serve} serve --no-worker + {args.workers} workers "
                f"({args.threads} delivery threads, lease {args.lease:g} s asked), "
                f"PostgreSQL {make_url(url).database}; started in {ready - started:.1f} s",
                flush=True,
            )
            print(SLACK_MODEL, flush=True)
            print(
                f"faults: 429 {args.rate_429:.0%} (Retry-After {args.retry_after} s), "
                f"500 {args.rate_500:.0%}, slow {args.slow_rate:.0%} ({args.slow_seconds:g} s)",
                flush=True,
            )
            watch = ChannelWatch(core.factory)
            scripts = [
                Script(
                    index=i,
                    drivers=drivers,
                    emulator=emulator,
                    channels=watch,
                    incidents_channel=incidents_channel,
                    updates=args.updates,
                    severity=severity_of(i),
                )
                for i in range(args.incidents)
            ]
            kill = Kill()
            killer: threading.Thread | None = None
            halfway = expected_items(args.incidents, args.updates) // 2
            if not args.no_kill and workers:

                def kill_one() -> None:
                    nonlocal kill
                    kill = kill_halfway(
                        core.factory, workers[0], halfway, ready, started + args.timeout / 2
                    )

                killer = threading.Thread(target=kill_one, name="killer", daemon=True)
                killer.start()
            with watch:
                play(scripts)
            played = time.monotonic()
            print(f"responders done in {played - ready:.1f} s", flush=True)
            if killer is not None:
                killer.join()
                print(
                    f"SIGKILL worker pid {kill.pid} at {kill.at:.1f} s, {kill.delivered} of "
                    f"~{halfway * 2} items delivered, while it held {kill.leases} lease(s); "
                    "nothing replaced it",
                    flush=True,
                )
            delivered, dead, pending = drain(core.factory, started + args.timeout)
            drained = time.monotonic()
            emulator.faults()
            print(
                f"outbox drained in {drained - ready:.1f} s: delivered {delivered}, "
                f"dead {dead}, pending {pending}",
                flush=True,
            )
            with core.factory() as session:
                retried = session.scalar(select(func.count()).where(OutboxItem.attempts > 0))
            commands = sum(s.sent for s in scripts)
            tries = sum(s.declare_tries for s in scripts)
            errors = [e for s in scripts for e in s.errors]
            outages = sum(s.outages for s in scripts)
            print(
                f"requests to serve: {commands} (declare forms tried {tries} times for "
                f"{args.incidents}); answered 'database unavailable' and tried again "
                f"{outages}; responder errors {len(errors)}; "
                f"outbox items retried at least once {retried}"
            )
            for error in errors[:10]:
                print(f"    responder error: {error}")
            for line in call_summary(emulator):
                print(line)
            result = audit(core, emulator, incidents_channel)
            core.close()
            for line in result.lines():
                print(line)
            lost = len(result.lost) + len(errors)
            duplicates = len(result.duplicates)
            print(f"wall time {time.monotonic() - started:.1f} s")
            print(f"storm_lost={lost} storm_duplicates={duplicates}")
            return 0 if lost == 0 and duplicates == 0 else 1
        finally:
            for process in processes:
                if process.poll() is None:
                    process.terminate()
            for process in processes:
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()


if __name__ == "__main__":
    raise SystemExit(main())
