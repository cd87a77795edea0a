"""Containment: one failing system never freezes an incident, an alert storm never delays a
SEV1.

Which Slack it models: the Slack emulator WITH Slack's per-method rate-limit tiers, and the
bot's own pacing ON (FIREFIGHTER_SLACK_PACING=true, set here whatever the shell says), as a
real workspace. One `serve` (the FastAPI app on uvicorn, 8 threads) with its outbox worker
(4 delivery threads) on a fresh database (a SQLite file, or `--database-url`).

The scenario, `MINUTES` long (10 by default, as the issue asks; `--minutes` for quick runs):
- Jira and Confluence answer 503 to everything from the start (a gate in front of their
  emulators), until the SEV1 below is announced and the scenario is at least 70 % done.
- Incident A (SEV2) lives the whole time with a change every 20 s: an update, a role
  change, a status change (investigating → mitigating → mitigated → reopened …), and every
  sixth change a follow-up (a Jira issue to create). Incident B (SEV2) walks to post-mortem
  at once, so its export meets the Confluence outage.
- 1,000 alerts without a group key arrive on `/alerts/generic` in the first 10 s.
- Then a SEV1 is declared through the modal.
- At the end, the outbox is drained (up to `--drain` seconds) and Slack is audited against
  the database as `bench/storm.py` does.

Printed: the p50/p99 time from each change of A to its visible redraw (the card or the
channel shows it), the SEV1's time from submission to its announcement, the messages in the
alerts channel, and lost, duplicated and dead effects. The last line is
`change_p99_s=… sev1_announce_s=… alert_messages=… lost=0 duplicates=0 dead=0`.
Targets (issue 18): change p99 ≤ 5 s over the tier floor, SEV1 announced within 10 s, at
most 15 messages in the alerts channel, nothing lost, duplicated or dead.

    .venv/bin/python bench/containment.py [--minutes 10] [--database-url postgresql+psycopg://…]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

# `python bench/containment.py` puts bench/ first on the path; the storm is imported as a package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests
from sqlalchemy import func, select

from firefighter.bootstrap import build_app, build_core, build_dispatcher, http_app
from firefighter.db import upgrade
from firefighter.emulators.confluence import ConfluenceEmulator
from firefighter.emulators.jira import JiraEmulator
from firefighter.emulators.slack import SlackDriver, SlackEmulator, blocks_text
from firefighter.incidents.models import Incident, TimelineEvent
from firefighter.outbox.models import OutboxItem
from firefighter.serving import start_threads
from firefighter.settings import Settings
from firefighter.slack.client import make_client
from firefighter.slack.posting import delivery_client
from firefighter.web import BackgroundServer
from tests.load.audit import audit

MINUTES = 10.0
"""How long incident A lives (the issue's figure); `--minutes` shortens it."""
CHANGE_EVERY = 20.0
ALERTS = 1000
ALERTS_WITHIN = 10.0
RECOVER_AT = 0.7
"""Share of the scenario after which Jira and Confluence come back (once the SEV1 is out)."""
SECRET = "containment-secret"
TOKEN = "containment-alerts-token"
SLACK_MODEL = (
    "Slack modelled: the emulator with Slack's rate-limit tiers, the bot's pacing on "
    "(FIREFIGHTER_SLACK_PACING=true, set by this bench)"
)
PEOPLE = {"U_ANA": "ana", "U_BEN": "ben", "U_CLE": "cle"}


class Gate:
    """A loopback HTTP gate in front of an emulator: forwards, or answers 503 while down."""

    def __init__(self, upstream: str) -> None:
        parsed = urllib.parse.urlsplit(upstream)
        self.origin = f"{parsed.scheme}://{parsed.netloc}"
        self.down = threading.Event()
        self.refused = 0
        gate = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if gate.down.is_set():
                    gate.refused += 1
                    self._answer(503, {"Content-Type": "application/json"}, b'{"message":"down"}')
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                request = urllib.request.Request(
                    gate.origin + self.path, data=body, headers=headers, method=self.command
                )
                try:
                    with urllib.request.urlopen(request, timeout=30) as answer:
                        self._answer(answer.status, dict(answer.headers), answer.read())
                except urllib.error.HTTPError as error:
                    self._answer(error.code, dict(error.headers), error.read())

            def _answer(self, status: int, headers: dict[str, str], data: bytes) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _any

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{parsed.path}".rstrip("/")
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Stop forwarding for good."""
        self.server.shutdown()


def percentile(values: list[float], q: float) -> float:
    """The q-quantile of `values` (0 when empty)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


@dataclass
class Watch:
    """Changes made to incident A and how long each took to show in Slack."""

    emulator: SlackEmulator
    seconds: list[float] = field(default_factory=list)
    never: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def until(self, what: str, shown: Callable[[], bool], started: float, limit: float) -> None:
        """Poll until `shown()` on a thread; record the time from `started`."""

        def poll() -> None:
            while time.monotonic() - started < limit:
                if shown():
                    with self.lock:
                        self.seconds.append(time.monotonic() - started)
                    return
                time.sleep(0.1)
            with self.lock:
                self.never.append(what)

        threading.Thread(target=poll, daemon=True).start()


class Scenario:
    """The bot, the emulators and the people acting."""

    def __init__(self, args: argparse.Namespace, folder: Path) -> None:
        self.args = args
        self.url = args.database_url or f"sqlite:///{folder / 'containment.db'}"
        upgrade(self.url)
        self.slack = SlackEmulator(rate_limits=True).start()
        for user_id, name in PEOPLE.items():
            self.slack.add_user(user_id, name)
        self.incidents_channel = self.slack.add_channel("incidents", members=list(PEOPLE))
        self.alerts_channel = self.slack.add_channel("alerts", members=list(PEOPLE))
        self.jira = JiraEmulator().start()
        self.jira.add_user("ana@example.com", "Ana")
        self.confluence = ConfluenceEmulator(username="bot", password="pw", spaces=("ENG",))
        self.confluence.start()
        parent = self.confluence.add_page("Post-mortems")
        self.jira_gate, self.confluence_gate = Gate(self.jira.url), Gate(self.confluence.url)
        self.settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=self.url,
            slack_bot_token=self.slack.bot_token,
            slack_api_url=self.slack.api_url,
            slack_signing_secret=SECRET,
            incidents_channel=self.incidents_channel,
            alerts_channel=self.alerts_channel,
            alerts_token=TOKEN,
            postmortem_dir=folder / "postmortems",
            slack_pacing=True,
            jira_url=self.jira_gate.url,
            jira_username=self.jira.username,
            jira_api_token=self.jira.password,
            jira_project="OPS",
            confluence_url=self.confluence_gate.url,
            confluence_username="bot",
            confluence_api_token="pw",
            confluence_space="ENG",
            confluence_parent_page_id=parent,
        )
        self.core = build_core(self.settings)
        bolt = build_app(self.core, make_client(self.settings))
        self.server = BackgroundServer(http_app(self.core, bolt), threads=8).start()
        self.stop = threading.Event()
        dispatcher = build_dispatcher(self.core, delivery_client(self.settings))
        start_threads(dispatcher, self.stop, self.settings.outbox_threads)
        self.driver = SlackDriver(self.slack, f"{self.server.url}/slack/events", SECRET, timeout=30)
        self.watch = Watch(self.slack)

    # ---- reading what Slack shows ---------------------------------------------------

    def incident(self, incident_id: int) -> Incident:
        with self.core.factory() as session:
            found = session.get(Incident, incident_id)
        assert found is not None
        return found

    def card_text(self, incident_id: int) -> str:
        fresh = self.incident(incident_id)
        if not fresh.channel_id or not fresh.card_ts:
            return ""
        card = self.slack.find_message(fresh.channel_id, fresh.card_ts)
        return (card.text + "\n" + blocks_text(card.blocks)) if card else ""

    def channel_texts(self, incident_id: int) -> list[str]:
        fresh = self.incident(incident_id)
        return [m.text for m in self.slack.messages(fresh.channel_id or "")] if fresh else []

    def announced(self, incident_id: int) -> bool:
        return any(
            m.text.startswith(":fire: ") and f"INC-{incident_id}" in m.text
            for m in self.slack.messages(self.incidents_channel)
        )

    # ---- acting ---------------------------------------------------------------------

    def declare(self, title: str, severity: str, user: str) -> tuple[int, float]:
        """Declare through the modal; (incident id, monotonic time of the submission)."""
        for _ in range(20):
            self.driver.slash_command(f"declare {title}", user, self.incidents_channel)
            if self.slack.current_view(user) is not None:
                break
            time.sleep(0.5)
        submitted = time.monotonic()
        answer = self.driver.submit_view(user, {"severity": severity})
        assert answer.status == 200 and not answer.body.strip(), answer.body
        with self.core.factory() as session:
            found = session.scalar(select(Incident.id).where(Incident.title == title))
        assert found is not None
        return int(found), submitted

    def wait_channel(self, incident_id: int, limit: float = 120.0) -> str:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            channel = self.incident(incident_id).channel_id
            if channel and self.incident(incident_id).card_ts:
                return channel
            time.sleep(0.2)
        raise SystemExit(f"INC-{incident_id} never got its channel")

    def command(self, channel: str, words: str, user: str = "U_ANA") -> str:
        answer = self.driver.slash_command(words, user, channel)
        return str(answer.json.get("text", "") if isinstance(answer.json, dict) else answer.body)

    def send_alerts(self) -> None:
        """ALERTS ungrouped alerts within ALERTS_WITHIN seconds, 8 senders."""
        start = time.monotonic()
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
        local = threading.local()

        def send(n: int) -> None:
            time.sleep(max(0.0, start + n * ALERTS_WITHIN / ALERTS - time.monotonic()))
            session = getattr(local, "session", None) or requests.Session()
            local.session = session
            body = {
                "dedup_key": f"node-{n:04d}-down",
                "title": f"node-{n:04d} does not answer",
                "status": "firing",
                "labels": {"node": f"node-{n:04d}"},
            }
            session.post(
                f"{self.server.url}/alerts/generic",
                data=json.dumps(body),
                headers=headers,
                timeout=30,
            )

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(send, range(ALERTS)))

    def change(self, incident_id: int, channel: str, n: int, limit: float) -> None:
        """Change number n of incident A, watched until Slack shows it."""
        statuses = ("investigating", "mitigating", "mitigated")
        kind = ("followup", "update", "role", "status", "update", "role")[n % 6]
        started = time.monotonic()
        if kind == "update":
            text = f"Change {n}: still looking at the load balancers"
            self.command(channel, f"update {text}")
            self.watch.until(
                kind,
                lambda: any(text in t for t in self.channel_texts(incident_id)),
                started,
                limit,
            )
        elif kind == "role":
            who = ("U_BEN", "U_CLE")[n % 2]
            self.command(channel, f"role comms <@{who}>")
            self.watch.until(
                kind, lambda: f"<@{who}>" in self.card_text(incident_id), started, limit
            )
        elif kind == "status":
            status = self.incident(incident_id).status
            if status == "mitigated":
                self.command(channel, f"reopen investigating it came back (change {n})")
                target = "investigating"
            else:
                target = statuses[(statuses.index(status) + 1) if status in statuses else 0]
                self.command(channel, target)
            self.watch.until(
                kind, lambda: target in self.card_text(incident_id).lower(), started, limit
            )
        else:
            text = f"Add retries to the checkout client ({n})"
            self.command(channel, f"followup {text} <@U_ANA>")
            self.watch.until(
                kind,
                lambda: any(text in t for t in self.channel_texts(incident_id)),
                started,
                limit,
            )


def repeats_beyond_the_timeline(scenario: Scenario, found: list[str]) -> list[str]:
    """The audit's duplicates, with repeated texts judged against the timeline.

    `bench/storm.py` counts any text said twice in a place as a duplicate, true of its
    scenario. This one repeats changes on purpose (the same person made communications lead
    again, the same move after a reopen), so a text said n times is a duplicate only when
    fewer than n of its incident's timeline events read that way.
    """
    kept = [line for line in found if not line.startswith("#")]
    with scenario.core.factory() as session:
        incidents = list(session.scalars(select(Incident)))
        events = {
            incident.channel_id: [
                e.text
                for e in session.scalars(
                    select(TimelineEvent).where(TimelineEvent.incident_id == incident.id)
                )
                if e.text
            ]
            for incident in incidents
            if incident.channel_id
        }
    for channel_id, texts in events.items():
        said: dict[str, int] = {}
        for message in scenario.slack.messages(channel_id, include_replies=True):
            if message.user != scenario.slack.bot_user_id:
                continue
            said[message.text] = said.get(message.text, 0) + 1
        for text, n in said.items():
            allowed = sum(1 for event in texts if event in text)
            if n > max(allowed, 1):
                kept.append(f"{channel_id}: {text[:90]!r} ×{n} for {allowed} event(s)")
    return kept


def outbox_counts(scenario: Scenario) -> tuple[int, int]:
    """(pending, dead) outbox items."""
    with scenario.core.factory() as session:
        pending = session.scalar(
            select(func.count()).where(
                OutboxItem.delivered_at.is_(None), OutboxItem.dead_at.is_(None)
            )
        )
        dead = session.scalar(select(func.count()).where(OutboxItem.dead_at.is_not(None)))
    return int(pending or 0), int(dead or 0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=MINUTES)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--drain", type=float, default=600.0, help="seconds to wait at the end")
    args = parser.parse_args()
    logging.getLogger("firefighter.outbox").setLevel(logging.ERROR)
    logging.basicConfig(level=logging.ERROR)
    print(SLACK_MODEL, flush=True)
    scenario = Scenario(args, Path(tempfile.mkdtemp(prefix="containment-")))
    began = time.monotonic()
    total = args.minutes * 60
    scenario.jira_gate.down.set()
    scenario.confluence_gate.down.set()
    try:
        a_id, _ = scenario.declare("Checkout answers 502", "SEV2", "U_ANA")
        b_id, _ = scenario.declare("Search is slow", "SEV2", "U_BEN")
        a_channel = scenario.wait_channel(a_id)
        b_channel = scenario.wait_channel(b_id)
        for status in ("investigating", "mitigating", "mitigated", "postmortem"):
            scenario.command(b_channel, status, "U_BEN")
        print(
            f"INC-{a_id} lives with a change every {CHANGE_EVERY:g} s; INC-{b_id} in post-mortem; "
            "Jira and Confluence answer 503",
            flush=True,
        )
        alerts = threading.Thread(target=scenario.send_alerts, daemon=True)
        alerts.start()
        changes = threading.Thread(
            target=lambda: [
                (
                    scenario.change(a_id, a_channel, n, limit=total + args.drain),
                    time.sleep(max(0.0, began + (n + 1) * CHANGE_EVERY - time.monotonic())),
                )
                for n in range(int(total // CHANGE_EVERY))
            ],
            daemon=True,
        )
        changes.start()
        alerts.join()
        print(f"{ALERTS} alerts sent in {time.monotonic() - began:.1f} s", flush=True)
        sev1_id, submitted = scenario.declare("Payments are down everywhere", "SEV1", "U_CLE")
        while not scenario.announced(sev1_id) and time.monotonic() - submitted < total + args.drain:
            time.sleep(0.1)
        sev1_seconds = time.monotonic() - submitted
        print(f"SEV1 INC-{sev1_id} announced {sev1_seconds:.1f} s after its submission", flush=True)
        time.sleep(max(0.0, began + RECOVER_AT * total - time.monotonic()))
        scenario.jira_gate.down.clear()
        scenario.confluence_gate.down.clear()
        print(
            f"Jira and Confluence back at {time.monotonic() - began:.0f} s "
            f"({scenario.jira_gate.refused} + {scenario.confluence_gate.refused} requests refused)",
            flush=True,
        )
        changes.join()
        deadline = time.monotonic() + args.drain
        while outbox_counts(scenario)[0] and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(1.0)  # the watchers' last polls
        pending, dead = outbox_counts(scenario)
        result = audit(scenario.core, scenario.slack, scenario.incidents_channel)
        watch = scenario.watch
        alert_messages = len(scenario.slack.messages(scenario.alerts_channel))
        lost = len(result.lost) + len(watch.never)
        result.duplicates = repeats_beyond_the_timeline(scenario, result.duplicates)
        duplicates = len(result.duplicates)
        print(
            f"changes of INC-{a_id}: {len(watch.seconds)} shown, {len(watch.never)} never; "
            f"p50 {percentile(watch.seconds, 0.5):.1f} s, "
            f"p99 {percentile(watch.seconds, 0.99):.1f} s"
        )
        print(f"alerts channel: {alert_messages} messages for {ALERTS} alerts")
        print(f"outbox: pending {pending}, dead {dead}; wall time {time.monotonic() - began:.0f} s")
        for line in result.lines():
            print(line)
        print(
            f"change_p99_s={percentile(watch.seconds, 0.99):.1f} "
            f"sev1_announce_s={sev1_seconds:.1f} alert_messages={alert_messages} "
            f"lost={lost} duplicates={duplicates} dead={dead}"
        )
        return 0 if lost == duplicates == dead == 0 else 1
    finally:
        scenario.stop.set()
        scenario.server.stop()
        scenario.jira_gate.stop()
        scenario.confluence_gate.stop()
        scenario.slack.stop()
        scenario.jira.stop()
        scenario.confluence.stop()
        scenario.core.close()


if __name__ == "__main__":
    raise SystemExit(main())
