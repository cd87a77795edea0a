"""A database that stops answering, and a Slack that answers late: people are told at once.

The database sits behind a loopback TCP proxy that can stall (connections stay open, nothing
is answered), as PostgreSQL behind a network partition. SQLite has no network to cut: the
partition tests run on PostgreSQL only.
"""

from __future__ import annotations

import gc
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import make_url

from firefighter.bootstrap import build_app, http_app
from firefighter.emulators.tcp_proxy import TcpProxy
from firefighter.incidents import queries
from firefighter.observability import Metrics
from firefighter.settings import Settings
from firefighter.slack.client import make_client
from firefighter.slack.outage import OUTAGE
from firefighter.web import BackgroundServer
from tests.slack.conftest import Bot, ImmediateExecutor


@pytest.fixture
def proxy(db_url: str) -> Iterator[TcpProxy | None]:
    """A proxy in front of PostgreSQL (None on SQLite)."""
    if db_url.startswith("sqlite"):
        yield None
        return
    url = make_url(db_url)
    with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as started:
        yield started
    # Connections cut by the proxy's stop are finalised here, in this thread, rather than
    # by a garbage collection in another thread later.
    gc.collect()


@pytest.fixture
def settings(db_url: str, proxy: TcpProxy | None, tmp_path: Path) -> Settings:
    """The usual test settings, the database reached through the proxy."""
    url = db_url
    if proxy is not None:
        url = (
            make_url(db_url)
            .set(host="127.0.0.1", port=proxy.port)
            .render_as_string(hide_password=False)
        )
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=url,
        postmortem_dir=tmp_path / "postmortems",
        slack_pacing=False,
    )


def _get(url: str) -> tuple[int, float]:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            answer.read()
            status = int(answer.status)
    except urllib.error.HTTPError as error:
        status = error.code
    return status, time.monotonic() - started


def _said(bot: Bot, text: str) -> list[str]:
    return [str(r.payload) for r in bot.emulator.responses if text in str(r.payload)]


def test_a_stalled_database_gets_clear_answers_then_converges(
    bot: Bot, proxy: TcpProxy | None
) -> None:
    if proxy is None:
        pytest.skip("a network partition needs a database over the network (PostgreSQL)")
    metrics = Metrics()
    metrics.watch_outbox(bot.core.factory, bot.core.service.clock)
    app = build_app(bot.core, make_client(bot.core.settings), executor=ImmediateExecutor())
    server = BackgroundServer(http_app(bot.core, app, metrics), threads=8).start()
    bot.driver.bot_url = f"{server.url}/slack/events"
    try:
        incident = bot.declare(title="Before the partition", severity="SEV3")
        card = bot.card(incident)
        channel = incident.channel_id or ""
        proxy.stall()

        status, took = _get(f"{server.url}/healthz")
        assert status == 503 and took < 1.0, (status, took)
        status, took = _get(f"{server.url}/metrics")
        assert status == 200 and took < 1.0, (status, took)

        started = time.monotonic()
        helped = bot.command("help")
        assert time.monotonic() - started < 1.0
        assert "declare" in bot.reply_text(helped)

        started = time.monotonic()
        refused = bot.command("update written during the partition", channel=channel)
        assert time.monotonic() - started < 3.0
        assert bot.reply_text(refused) == OUTAGE

        started = time.monotonic()
        clicked = bot.driver.click(card.channel_id, card.ts, "status:investigating", "U_BOB")
        assert clicked.status == 200 and time.monotonic() - started < 3.0
        # The command's answer, then the click's, each said once.
        assert len(_said(bot, OUTAGE)) == 2
        assert not _said(bot, "could not read")

        # A form: the modal opens (no database needed) and its submission says why it failed.
        bot.command("declare During the partition")
        started = time.monotonic()
        submitted = bot.driver.submit_view("U_ALICE", {"severity": "SEV3"})
        assert time.monotonic() - started < 3.0
        assert submitted.json and submitted.json["response_action"] == "errors"
        assert OUTAGE[:100] in str(submitted.json["errors"])

        proxy.resume()
        deadline = time.monotonic() + 15
        while _get(f"{server.url}/healthz")[0] != 200:
            assert time.monotonic() < deadline, "/healthz never came back"
            time.sleep(0.2)
        # Nothing the partition refused was written, even by work that woke up afterwards.
        while any(t.name == "within" for t in threading.enumerate()):
            assert time.monotonic() < deadline, "given-up work never ended"
            time.sleep(0.1)
        fresh = bot.incident(incident.id)
        assert (fresh.status, fresh.version) == (incident.status, incident.version)
        with bot.core.factory() as session:
            texts = [e.text for e in queries.timeline(session, incident.id)]
        assert "update written during the partition" not in texts
        assert [i.title for i in queries.list_incidents(session)] == ["Before the partition"]
        # And everything works again.
        assert "Update posted" in bot.reply_text(bot.command("update back", channel=channel))
        bot.driver.click(card.channel_id, card.ts, "status:investigating", "U_BOB")
        bot.settle()
        assert bot.incident(incident.id).status == "investigating"
        assert any("back" in m.text for m in bot.emulator.messages(channel))
    finally:
        proxy.resume()
        server.stop()
        # Work given up during the partition ends once the database answers; finalise what
        # it left behind now, not in another thread while the session tears down.
        gc.collect()


def test_a_slow_views_open_tells_the_person_once_to_try_again(bot: Bot) -> None:
    bot.emulator.slow_next("views.open", 5.0)
    started = time.monotonic()
    answer = bot.command("declare Checkout is down")
    took = time.monotonic() - started
    assert took < 3.0, took
    assert "run the command again" in bot.reply_text(answer)
    assert bot.emulator.current_view("U_ALICE") is None
    # Asked again, Slack answers in time and the form opens.
    bot.command("declare Checkout is down")
    assert bot.emulator.current_view("U_ALICE") is not None
