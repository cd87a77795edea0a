"""One bot (HTTP and delivery threads) on a database while Slack flaps: N responders declare
and post updates; when each incident became usable, whether everything converged, and the
storm's audit. tests/slack/handlers/test_flaky_slack.py runs small ones; bench/flaky_slack.py
and bench/burst.py run the big ones and report the timings.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select

from firefighter.bootstrap import Core, build_app, build_core, build_dispatcher, http_app
from firefighter.emulators.slack import SlackDriver, SlackEmulator
from firefighter.incidents.models import Incident
from firefighter.settings import Settings
from firefighter.slack.client import make_client
from firefighter.slack.posting import delivery_client
from firefighter.web import BackgroundServer
from tests.load.audit import Audit, audit, outbox_state
from tests.load.responders import ChannelWatch, add_responders, responder

SECRET = "flaky-signing-secret"


@dataclass
class FlakyResult:
    """What one run measured."""

    ready_s: list[float] = field(default_factory=list)
    announced_s: list[float] = field(default_factory=list)
    update_s: list[float] = field(default_factory=list)
    submitted: dict[str, float] = field(default_factory=dict)
    announced_at: dict[str, float] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)
    not_ready: int = 0
    updates_missing: int = 0
    converged_after_recovery_s: float | None = None
    audit: Audit = field(default_factory=Audit)
    errors: list[str] = field(default_factory=list)

    @property
    def duplicates(self) -> int:
        """Messages or channels Slack shows more than once."""
        return len(self.audit.duplicates)

    @property
    def dead(self) -> int:
        """Effects given up on."""
        return self.audit.dead


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (0 when there is nothing)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5)))
    return ordered[rank - 1]


class Tracker:
    """Watches the database and the emulator; records when each incident becomes usable."""

    def __init__(self, core: Core, emulator: SlackEmulator, interval: float = 0.2) -> None:
        self.core = core
        self.emulator = emulator
        self.interval = interval
        self.ready_at: dict[str, float] = {}
        self.announced_at: dict[str, float] = {}
        self.stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="ready-watch", daemon=True)

    def __enter__(self) -> Tracker:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self._thread.join(5)

    def _poll(self) -> None:
        while not self.stop.wait(self.interval):
            self.poll_once()

    def poll_once(self) -> None:
        """Record what became usable since the last look."""
        with self.core.factory() as session:
            rows = session.execute(
                select(Incident.title, Incident.channel_id, Incident.card_ts).where(
                    Incident.channel_id.is_not(None),
                    Incident.card_ts.is_not(None),
                    Incident.announcement_ts.is_not(None),
                )
            ).all()
            announced = session.scalars(
                select(Incident.title).where(Incident.announcement_ts.is_not(None))
            ).all()
        now = time.monotonic()
        for title in announced:
            self.announced_at.setdefault(str(title), now)
        for title, channel_id, card_ts in rows:
            if title in self.ready_at:
                continue
            try:
                pins = self.emulator.channel(str(channel_id)).pins
            except Exception:  # the channel is being made right now
                continue
            if card_ts in pins:
                self.ready_at[str(title)] = now


def _declare(
    driver: SlackDriver, emulator: SlackEmulator, user: str, title: str, channel: str
) -> float | None:
    """Declare through the modal; the monotonic time the submission was answered, or None."""
    for _ in range(20):
        opened = driver.slash_command(f"declare {title}", user, channel)
        view = emulator.current_view(user)
        if opened.status == 200 and not opened.body.strip() and view is not None:
            answer = driver.submit_view(user, {"severity": "SEV3"})
            if answer.status == 200 and not answer.body.strip():
                return time.monotonic()
            return None
        time.sleep(0.3)  # "Slack did not open the form in time": the responder tries again
    return None


def run_flaky(
    settings: Settings,
    *,
    incidents: int,
    updates: int,
    rate: float,
    outage_s: float = 0.0,
    threads: int = 4,
    deadline_s: float = 240.0,
    seed: int = 7,
    rate_limits: bool = False,
    after_work: float = 0.5,
    within_s: float = 0.0,
) -> FlakyResult:
    """Declare `incidents` incidents with `rate` of Slack calls failing (for `outage_s`
    seconds then none, when given); measure and audit. `settings` names a migrated database.

    `rate_limits` applies Slack's tiers; `after_work` is the share of 500s that come after
    Slack did the work; `within_s` spreads the declarations over that many seconds.
    """
    result = FlakyResult()
    with SlackEmulator(rate_limits=rate_limits) as emulator:
        add_responders(emulator, incidents)
        channel = emulator.add_channel(
            "incidents", members=[responder(i) for i in range(incidents)]
        )
        settings = settings.model_copy(
            update={
                "slack_bot_token": emulator.bot_token,
                "slack_api_url": emulator.api_url,
                "slack_signing_secret": SECRET,
                "incidents_channel": channel,
            }
        )
        core = build_core(settings)
        server = BackgroundServer(http_app(core, build_app(core, make_client(settings))), threads=8)
        server.start()
        stop = threading.Event()
        dispatcher = build_dispatcher(core, delivery_client(settings))
        workers = [
            threading.Thread(
                target=dispatcher.run_forever, args=(stop,), kwargs={"limit": 2}, daemon=True
            )
            for _ in range(threads)
        ]
        for worker in workers:
            worker.start()
        driver = SlackDriver(emulator, f"{server.url}/slack/events", SECRET)
        started = time.monotonic()
        emulator.faults(
            rate_429=rate / 2, rate_500=rate / 2, retry_after=1, seed=seed, after_work=after_work
        )
        recovered_at: float | None = None
        submitted: dict[str, float] = {}
        lock = threading.Lock()
        try:
            with Tracker(core, emulator) as tracker, ChannelWatch(core.factory, 0.3) as watch:

                def responder_run(index: int) -> None:
                    try:
                        play_responder(index)
                    except Exception as error:  # a responder's failure is a figure, not a crash
                        with lock:
                            result.errors.append(f"responder {index}: {error!r:.200}")

                def play_responder(index: int) -> None:
                    if within_s:
                        time.sleep(within_s * index / max(1, incidents))
                    title = f"Flaky {index:04d}: checkout answers 502"
                    at = _declare(driver, emulator, responder(index), title, channel)
                    if at is None:
                        with lock:
                            result.errors.append(f"{title}: could not declare")
                        return
                    with lock:
                        submitted[title] = at
                    found = watch.wait(title, deadline_s)
                    if found is None:
                        return
                    for n in range(1, updates + 1):
                        text = f"{title}, update {n}"
                        sent = time.monotonic()
                        answer = driver.slash_command(f"update {text}", responder(index), found[1])
                        if answer.status != 200:
                            with lock:
                                result.errors.append(f"{title}: update answered {answer.status}")
                            continue
                        seen = _wait_text(emulator, found[1], text, sent + deadline_s)
                        with lock:
                            if seen is None:
                                result.updates_missing += 1
                            else:
                                result.update_s.append(seen - sent)

                people = [
                    threading.Thread(target=responder_run, args=(i,), daemon=True)
                    for i in range(incidents)
                ]
                for person in people:
                    person.start()
                if outage_s:
                    time.sleep(max(0.0, started + outage_s - time.monotonic()))
                    emulator.faults()
                    recovered_at = time.monotonic()
                for person in people:
                    person.join(max(1.0, started + deadline_s - time.monotonic()))
                settled_at = _wait_settled(core, started + deadline_s)
                tracker.poll_once()  # the last change may have landed after the last look
            for title, at in submitted.items():
                ready = tracker.ready_at.get(title)
                if ready is None:
                    result.not_ready += 1
                else:
                    result.ready_s.append(max(0.0, ready - at))
                if title in tracker.announced_at:
                    result.announced_s.append(max(0.0, tracker.announced_at[title] - at))
            result.submitted = dict(submitted)
            result.announced_at = dict(tracker.announced_at)
            counts: dict[str, int] = {}
            for call in emulator.calls:
                counts[call.method] = counts.get(call.method, 0) + 1
            result.calls = counts
            if recovered_at is not None and settled_at is not None:
                # Everything is there once nothing is left to deliver.
                result.converged_after_recovery_s = max(0.0, settled_at - recovered_at)
            emulator.faults()
            result.audit = audit(core, emulator, channel)
        finally:
            stop.set()
            for worker in workers:
                worker.join(10)
            server.stop()
            core.close()
    return result


def _wait_text(emulator: SlackEmulator, channel: str, text: str, until: float) -> float | None:
    while time.monotonic() < until:
        if any(text in m.text for m in emulator.messages(channel)):
            return time.monotonic()
        time.sleep(0.2)
    return None


def _wait_settled(core: Core, until: float) -> float | None:
    """The monotonic time the outbox was first seen empty, or None if it never was."""
    while time.monotonic() < until:
        _, _, pending = outbox_state(core.factory)
        if pending == 0:
            return time.monotonic()
        time.sleep(0.2)
    return None


def describe(name: str, result: FlakyResult) -> list[str]:
    """The run's figures, one a line."""
    ready, updates = result.ready_s, result.update_s
    lines = [
        f"{name}: {len(ready)} ready, {result.not_ready} not ready; ready after submission "
        f"p50 {percentile(ready, 0.5):.1f} s, p99 {percentile(ready, 0.99):.1f} s, "
        f"max {max(ready, default=0):.1f} s",
        f"{name}: updates shown p50 {percentile(updates, 0.5):.1f} s, p99 "
        f"{percentile(updates, 0.99):.1f} s; missing {result.updates_missing}",
    ]
    if result.converged_after_recovery_s is not None:
        lines.append(f"{name}: converged {result.converged_after_recovery_s:.1f} s after recovery")
    lines += [f"{name}: {line}" for line in result.audit.lines()]
    lines += [f"{name}: error: {e}" for e in result.errors[:10]]
    return lines
