"""`firefighter demo`: a scripted SEV1 through the real bot, against the Slack emulator.

The emulator plays Slack, `firefighter serve` runs as a separate process on a throw-away
SQLite file, and signed HTTP requests play the responders. No Slack account is needed.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.markup import escape
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from firefighter.db import make_engine, make_session_factory
from firefighter.emulators.slack import Message, SlackDriver, SlackEmulator
from firefighter.incidents.models import Incident
from firefighter.outbox import pending_count
from firefighter.sandbox.database import fresh_sqlite
from firefighter.sandbox.demo_paging import DemoPaging, demo_paging
from firefighter.sandbox.transcript import render_transcript

PEOPLE = {"U01ALICE": "alice", "U02BOB": "bob", "U03CAROL": "carol"}
# Full names as Slack profiles carry them: the post-mortem shows these, never the ids.
SPAN_MINUTES = 45
REAL_NAMES = {"U01ALICE": "Alice Martin", "U02BOB": "Bob Okafor", "U03CAROL": "Carol Diaz"}
TITLE = "Checkout returns 502 for a third of requests"
ZONE = "Europe/Paris"
"""The demo team's zone: the bot's FIREFIGHTER_TIMEZONE, the times people quote, the
transcript's stamps."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("`firefighter serve` exited during start-up; see its output above")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"`firefighter serve` did not answer on {url}/healthz")


class Scene:
    """The demo's cast: the emulator, the driver acting as people, and helpers to wait."""

    def __init__(
        self,
        emulator: SlackEmulator,
        driver: SlackDriver,
        incidents: str,
        factory: sessionmaker[Session],
        clock_file: Path | None = None,
    ) -> None:
        self.emulator = emulator
        self.driver = driver
        self.incidents = incidents
        self.factory = factory
        self.clock_file = clock_file
        # The scripted incident starts SPAN_MINUTES in the past and ends about now, so
        # that no time the bot records is in the future of the emulator's messages.
        self.start = time.time() - SPAN_MINUTES * 60
        self.offset = 0.0
        # (wall-clock time, offset from then on): maps the emulator's times to the bot's.
        self.offsets: list[tuple[float, float]] = [(0.0, 0.0)]
        self.paging: DemoPaging | None = None

    def at_minute(self, minute: float) -> None:
        """Move the bot's clock (see sandbox/scripted_serve.py) to `minute` of the script."""
        if self.clock_file is None:
            return
        now = time.time()
        self.offset = self.start + minute * 60 - now
        self.offsets.append((now, self.offset))
        self.clock_file.write_text(f"{self.offset:.3f}")

    def scripted(self, at: float) -> float:
        """The bot's time when the wall clock said `at` (for the transcript's stamps)."""
        offset = next(o for since, o in reversed(self.offsets) if since <= at)
        return at + offset

    def local(self, minute: float, pattern: str = "%H:%M") -> str:
        """The time at `minute` of the script, as people in the demo's zone say it."""
        at = datetime.fromtimestamp(self.start, ZoneInfo(ZONE)) + timedelta(minutes=minute)
        return at.strftime(pattern)

    def settle(self, timeout: float = 60) -> None:
        """Wait until the bot's worker has delivered everything it decided so far."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.factory() as session:
                if pending_count(session) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"the bot's worker did not catch up within {timeout:.0f} s")

    def click_card(self, channel_id: str, status: str, user_id: str) -> None:
        """Click a status button on the pinned card, then wait for the bot to finish."""
        card = self.card(channel_id)
        if not self.offers(card, status):
            raise RuntimeError(f"the card does not offer {status!r}")
        assert card is not None
        self.driver.click(channel_id, card.ts, f"status:{status}", user_id)
        self.wait_status(channel_id, status)
        self.settle()

    def wait_status(self, channel_id: str, status: str, timeout: float = 30) -> None:
        """Wait until the click's work (run just after its acknowledgement) is recorded."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.factory() as session:
                found = session.scalar(select(Incident).where(Incident.channel_id == channel_id))
                if found is not None and found.status == status:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"the incident did not become {status} within {timeout:.0f} s")

    def announcement(self) -> Message | None:
        """The bot's announcement in #incidents."""
        found = [m for m in self.emulator.messages(self.incidents) if m.user == "UBOT"]
        return found[0] if found else None

    def card(self, channel_id: str) -> Message | None:
        """The pinned incident card."""
        channel = self.emulator.channel(channel_id)
        return self.emulator.find_message(channel_id, channel.pins[0]) if channel.pins else None

    def offers(self, message: Message | None, label: str) -> bool:
        """Whether a message currently shows a button labelled `label`."""
        if message is None:
            return False
        return any(
            element.get("type") == "button" and element["text"]["text"] == label
            for block in message.blocks
            for element in block.get("elements", [])
        )


def page_acknowledged(scene: Scene, timeout: float = 30) -> None:
    """The SEV1 paged Payments' on-call in PagerDuty; Dana acknowledges there, and the
    card, the timeline and the channel (she is invited) show it."""
    if scene.paging is None:
        return
    pagerduty, dana = scene.paging.pagerduty, scene.paging.on_call
    deadline = time.monotonic() + timeout
    while not pagerduty.incidents:
        if time.monotonic() > deadline:
            raise RuntimeError("the bot did not page PagerDuty for the SEV1")
        time.sleep(0.05)
    pagerduty.acknowledge_as(pagerduty.incidents[0].dedup_key, dana)
    scene.settle()


def _declare_from_report(scene: Scene) -> tuple[str, str]:
    """Act one: a report in #incidents, declared from the message; the channel and the
    announcement's ts."""
    driver, emulator = scene.driver, scene.emulator
    scene.at_minute(0)
    # Support reports it in #incidents; Alice declares from that message (the shortcut
    # prefills the form with its first line, its text and its permalink).
    report = emulator.post_user_message(
        scene.incidents,
        "U03CAROL",
        f"{TITLE}\nEU customers first, since the {scene.local(-9)} deploy: "
        "<https://grafana.example.com/d/payments|payments dashboard>. cc <@U01ALICE>",
    )
    driver.message_shortcut("declare_from_message", scene.incidents, report.ts, "U01ALICE")
    # Impact began at the deploy, 9 minutes before the report.
    started = int(time.time() + scene.offset - 9 * 60)
    driver.submit_view(
        "U01ALICE", {"severity": "SEV1", "component": "payments", "started_at": started}
    )
    scene.settle()
    announcement = scene.announcement()
    if announcement is None:
        raise RuntimeError("the bot did not announce the incident")
    channel_id = next(c.id for c in emulator.channels if c.name.startswith("inc-"))
    return str(channel_id), announcement.ts


def play(scene: Scene) -> str:
    """The script of the demo; returns the incident channel id."""
    channel_id, announcement_ts = _declare_from_report(scene)
    # The deploy that broke it went out 9 minutes before the report.
    release = scene.local(-9, "%Y.%m.%d") + "-3"
    scene.at_minute(2)
    page_acknowledged(scene)

    scene.at_minute(3)
    driver, emulator = scene.driver, scene.emulator
    driver.click(scene.incidents, announcement_ts, "status:investigating", "U02BOB")
    scene.wait_status(channel_id, "investigating")
    scene.settle()
    driver.slash_command("role comms <@U02BOB|bob>", "U01ALICE", channel_id)
    scene.settle()
    scene.at_minute(9)
    driver.slash_command(
        f"update Error rate 34%. Suspect deploy {release}; rolling it back.",
        "U01ALICE",
        channel_id,
    )
    scene.settle()
    scene.at_minute(14)
    scene.click_card(channel_id, "mitigating", "U01ALICE")
    scene.at_minute(22)
    # The fact that matters is said in the conversation; a 📌 puts it in the timeline.
    emulator.add_member(channel_id, "U02BOB")
    rollback = emulator.post_user_message(
        channel_id,
        "U02BOB",
        f"Rolled back {release} at {scene.local(21)}. <@U01ALICE> the graph is flat again.",
        files=["error-rate.png"],
    )
    driver.reaction(channel_id, rollback.ts, "U01ALICE")
    scene.settle()
    scene.at_minute(24)
    driver.slash_command(
        "update Rollback done; error rate back under 0.1%. Watching for 15 minutes.",
        "U02BOB",
        channel_id,
    )
    scene.settle()
    scene.at_minute(39)
    scene.click_card(channel_id, "mitigated", "U01ALICE")
    # What the incident taught, owned and dated: it shows on the card and the post-mortem.
    scene.at_minute(40)
    due = scene.local(40 + 7 * 24 * 60, "%Y-%m-%d")
    driver.slash_command(
        f"followup Alert on checkout's 5xx rate per deploy <@U02BOB|bob> due {due}",
        "U01ALICE",
        channel_id,
    )
    scene.settle()
    for minute, status in ((41, "postmortem"), (43, "closed")):
        scene.at_minute(minute)
        scene.click_card(channel_id, status, "U01ALICE")
    # The page was written on entering postmortem; exported again, it tells the closure too.
    scene.at_minute(44)
    driver.slash_command("postmortem", "U01ALICE", channel_id)
    scene.settle()
    return str(channel_id)


def console_step(
    scene: Scene,
    database_url: str,
    folder: Path,
    console: Console,
    port: int,
    clock_file: Path,
    *,
    serve: bool,
) -> None:
    """The web console: serve it, sign in as Alice through the emulator, save the incident's
    page and the figures under `folder/console`; with `serve`, keep it all running."""
    from firefighter.sandbox.demo_console import save_pages, start_console, wait_forever
    from firefighter.sandbox.scripted_serve import OffsetClock

    with scene.factory() as session:
        incident_id = session.scalars(select(Incident.id).order_by(Incident.id)).first() or 1
    web = start_console(scene.emulator, database_url, port=port, clock=OffsetClock(clock_file))
    try:
        for saved in save_pages(web, folder / "console", incident_id, "U01ALICE"):
            console.print(f"Console page       {saved}", highlight=False)
        if serve:
            console.rule("Everything keeps running")
            console.print(
                f"Web console   {web.url}/  (sign in: pick Alice Martin, Bob Okafor or Carol "
                f"Diaz on the emulator's Sign in with Slack page)\n"
                f"Incident page {web.url}/incidents/{incident_id}\n"
                f"Slack emulator {scene.emulator.base_url}",
                highlight=False,
            )
            wait_forever(console)
    finally:
        web.stop()


def run_demo(
    out_dir: str, console: Console, *, socket_mode: bool = False, serve: bool = False
) -> None:
    """Set up the emulator and the bot, play the script, print the transcript and the files.

    With `socket_mode`, `serve` connects to the emulator over Socket Mode (SLACK_APP_TOKEN)
    and every request of the script travels as an envelope on that socket.
    """
    folder = Path(out_dir).resolve()
    database, url, shown_url = _fresh_database(folder)
    postmortems = folder / "postmortems"
    clock_file = folder / "clock-offset"
    clock_file.write_text("0")

    secret = secrets.token_hex(16)
    port = _free_port()
    bot_url = f"http://127.0.0.1:{port}"
    console_port = _free_port()
    with SlackEmulator() as emulator, demo_paging(folder, emulator, clock_file) as paging:
        for user_id, name in PEOPLE.items():
            emulator.add_user(user_id, name, display_name="", real_name=REAL_NAMES[user_id])
        incidents = emulator.add_channel("incidents", members=list(PEOPLE))
        paging.pagerduty.webhook_url = f"{bot_url}/alerts/pagerduty"
        env = {
            **_serve_env(url, emulator, secret, incidents, postmortems, console_port),
            **paging.env,
        }
        if socket_mode:
            env["SLACK_APP_TOKEN"] = emulator.app_token
        how = "over Socket Mode" if socket_mode else "over HTTP"
        console.print(
            f"Slack emulator on {emulator.base_url}; `firefighter serve` on {bot_url} ({how})",
            highlight=False,
        )
        log = (folder / "serve.log").open("wb")
        server = _start_serve(clock_file, port, env, log)
        try:
            _wait_healthy(bot_url, server)
            driver = SlackDriver(emulator, f"{bot_url}/slack/events", secret)
            if socket_mode:
                emulator.socket_mode.wait_connected(timeout=30)
                driver.socket_mode = True
            engine = make_engine(url)
            scene = Scene(emulator, driver, incidents, make_session_factory(engine), clock_file)
            scene.paging = paging
            try:
                channel_id = play(scene)
                console_step(scene, url, folder, console, console_port, clock_file, serve=serve)
            finally:
                engine.dispose()
        finally:
            server.terminate()
            server.wait(10)
            log.close()
        console.rule(f"The Slack conversation (times in {ZONE}, on the bot's clock)")
        transcript = render_transcript(
            emulator,
            console,
            clock=scene.scripted,
            zone=ZoneInfo(ZONE),
            people=frozenset(PEOPLE.values()),
        )
    (folder / "transcript.txt").write_text(transcript, encoding="utf-8")
    print_files(console, folder, database, postmortems)
    print_next_steps(console, shown_url, channel_id)


def _fresh_database(folder: Path) -> tuple[Path, str, str]:
    """A new, migrated SQLite file in `folder`: its path, its URL, and the URL as shown."""
    database, url = fresh_sqlite(folder, "firefighter-demo.db")
    # Shown relative when it can be: the commands to look around are typed in this folder.
    shown_url = url
    if folder.is_relative_to(Path.cwd()):
        shown_url = f"sqlite:///{database.relative_to(Path.cwd())}"
    return database, url, shown_url


def _serve_env(
    url: str,
    emulator: SlackEmulator,
    secret: str,
    incidents: str,
    postmortems: Path,
    console_port: int,
) -> dict[str, str]:
    """`serve`'s environment: this shell's, pointed at the emulator and the demo's files."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SLACK_BOT_TOKEN": emulator.bot_token,
        "SLACK_SIGNING_SECRET": secret,
        "SLACK_API_URL": emulator.api_url,
        "FIREFIGHTER_INCIDENTS_CHANNEL": incidents,
        "FIREFIGHTER_POSTMORTEM_DIR": str(postmortems),
        "FIREFIGHTER_TIMEZONE": ZONE,
        "FIREFIGHTER_BASE_URL": f"http://127.0.0.1:{console_port}",
    }
    env.pop("SLACK_APP_TOKEN", None)
    env.pop("CONFLUENCE_URL", None)
    return env


def _start_serve(
    clock_file: Path, port: int, env: dict[str, str], log: IO[bytes]
) -> subprocess.Popen[bytes]:
    # `serve` on a scripted clock the play moves forward (see Scene.at_minute).
    command = [sys.executable, "-m", "firefighter.sandbox.scripted_serve", str(clock_file)]
    return subprocess.Popen([*command, str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)


def print_files(console: Console, folder: Path, database: Path, postmortems: Path) -> None:
    """Where the demo left its files; the post-mortem pages as links a terminal can open."""
    console.rule("Files")
    console.print(f"Database           {database}", highlight=False)
    for page in sorted(postmortems.glob("*")):
        shown = f"[link={escape(page.as_uri())}]{escape(str(page))}[/link]"
        console.print(f"Post-mortem        {shown}", highlight=False)
    console.print(f"Transcript         {folder / 'transcript.txt'}", highlight=False)
    console.print(f"Server log         {folder / 'serve.log'}", highlight=False)


def print_next_steps(console: Console, url: str, channel_id: str) -> None:
    """Commands to look around, as they work when typed in the project's folder."""
    tool = ".venv/bin/firefighter"
    console.print(
        "\nLook around, in this folder (after `make shell`, `firefighter` alone will do):",
        highlight=False,
    )
    console.print(f"  export DATABASE_URL={url} FIREFIGHTER_TIMEZONE={ZONE}", highlight=False)
    for command in ("incident show 1", "incident list", "followup list", "stats"):
        console.print(f"  {tool} {command}", highlight=False)
    console.print(f"  (the incident's channel in the emulator was {channel_id})", highlight=False)
    console.print(
        f"Play it over Socket Mode:  {tool} demo --socket-mode\n"
        f"Play a Game Day:           {tool} gameday run examples/gameday-payments.yaml --fast",
        highlight=False,
    )
