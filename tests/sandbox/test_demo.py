"""`make demo` tells a true story: the transcript's times, the quotes and the database agree
with the scripted clock, and the conversation reads as Slack shows it."""

from __future__ import annotations

import io
import re
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from rich.console import Console

from firefighter.sandbox.demo import SPAN_MINUTES, ZONE, run_demo
from firefighter.sandbox.transcript import as_characters

PARIS = ZoneInfo(ZONE)


def test_slack_emoji_codes_become_characters() -> None:
    assert as_characters(":first_place_medal: :performing_arts: :large_green_circle:") == (
        "🥇 🎭 🟢"
    )
    assert as_characters(":pushpin: :white_check_mark:") == "📌 ✅"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, Path]:
    folder = tmp_path_factory.mktemp("demo")
    screen = io.StringIO()
    run_demo(str(folder), Console(file=screen, width=200, soft_wrap=True))
    return (folder / "transcript.txt").read_text(encoding="utf-8"), screen.getvalue(), folder


def stamps(transcript: str) -> list[str]:
    return re.findall(r"^(\d\d:\d\d:\d\d) ", transcript, re.MULTILINE)


def seconds_since_first(times: list[str]) -> list[int]:
    """The stamps as seconds after the first, across midnight (the demo may be run at 23:50)."""
    day = 24 * 3600
    clock = [int(t[:2]) * 3600 + int(t[3:5]) * 60 + int(t[6:]) for t in times]
    return [(c - clock[0]) % day for c in clock]


@pytest.mark.slow
def test_times_and_quotes_agree_with_the_scripted_clock(demo: tuple[str, str, Path]) -> None:
    transcript, _, folder = demo
    with sqlite3.connect(folder / "firefighter-demo.db") as db:
        started, declared, closed = db.execute(
            "SELECT started_at, declared_at, closed_at FROM incidents WHERE id = 1"
        ).fetchone()

    def local(value: str) -> datetime:
        at = datetime.fromisoformat(value)
        return (at if at.tzinfo else at.replace(tzinfo=ZoneInfo("UTC"))).astimezone(PARIS)

    # Carol quotes the deploy that began the impact at the impact's start, in the zone.
    quoted = re.search(r"since the (\d\d:\d\d) deploy", transcript)
    assert quoted is not None and quoted.group(1) == local(started).strftime("%H:%M")
    # The transcript is stamped on the bot's clock: it opens at the declaration, in order,
    # and spans the scripted incident, not the few seconds the run took.
    times = stamps(transcript)
    offsets = seconds_since_first(times)
    assert offsets == sorted(offsets)
    assert times[0][:5] == local(declared).strftime("%H:%M")
    span = timedelta(seconds=offsets[-1])
    assert timedelta(minutes=SPAN_MINUTES - 5) <= span <= timedelta(minutes=SPAN_MINUTES)
    # The last stamp is no earlier than the closure (to the minute).
    opened = local(declared).replace(second=int(times[0][6:]), microsecond=0)
    last = opened + span
    assert last.replace(second=0) >= local(closed).replace(second=0, microsecond=0)
    # The card's "Declared" and the rollback Bob quotes are on the same clock.
    assert f"Declared: {local(declared):%Y-%m-%d %H:%M}" in transcript
    rolled = re.search(
        r"^(\d\d:\d\d):\d\d .*\n    Rolled back \S+ at (\d\d:\d\d)\.", transcript, re.M
    )
    assert rolled is not None and rolled.group(2) <= rolled.group(1)
    assert "started_at=17" not in transcript  # a time, not an epoch
    assert f"started_at={local(started):%Y-%m-%d %H:%M}" in transcript


@pytest.mark.slow
def test_the_conversation_reads_as_slack_shows_it(demo: tuple[str, str, Path]) -> None:
    transcript, screen, _ = demo
    assert "Title: Checkout returns 502 for a third of requests" in transcript  # prefilled
    assert "alice reacted 📌 to bob's message" in transcript
    assert "firefighter reacted ✅ to bob's message" in transcript
    assert "firefighter pinned a message to the channel" in transcript
    assert "📎 error-rate.png" in transcript
    assert "(in the thread of carol's message)" in transcript
    assert "(in the thread of the bot's announcement)" in transcript
    assert "cc @alice" in transcript and "@U0" not in transcript and "<@" not in transcript
    assert not re.search(r":[a-z_]+:", transcript), "emoji codes left as text"
    assert "Closed as resolved." in transcript
    # The commands to look around are printed as they work in the project's folder.
    assert ".venv/bin/firefighter incident show 1" in screen
    assert "make shell" in screen


@pytest.mark.slow
def test_the_demo_saves_the_console_pages_signed_in_as_alice(
    demo: tuple[str, str, Path],
) -> None:
    _, screen, folder = demo
    incident = (folder / "console" / "incident.html").read_text(encoding="utf-8")
    figures = (folder / "console" / "figures.html").read_text(encoding="utf-8")
    assert "Signed in as <strong>Alice Martin</strong>" in incident
    assert "INC-1" in incident and "Bob Okafor" in incident  # people by name
    assert "Figures, last 30 days" in figures
    assert (folder / "console" / "console.css").stat().st_size > 1000
    assert "Console page" in screen
