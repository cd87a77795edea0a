"""Responders who each play one incident through the Slack emulator, all at once.

Each declares through the modal, posts updates and walks the incident to closed, answering an
outage sentence by trying again as a person would. Shared by the storm and rollout tests and
the benches.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from firefighter.emulators.slack import SlackDriver, SlackEmulator
from firefighter.incidents.models import Incident
from firefighter.slack.outage import OUTAGE


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
