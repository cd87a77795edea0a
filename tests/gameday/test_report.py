"""The Game Day report: well-formed storage format, published once, lessons kept."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import timedelta

import pytest

from firefighter.bootstrap import Core
from firefighter.emulators.confluence import ConfluenceEmulator
from firefighter.gameday.chart import chart_filename, scores_chart
from firefighter.gameday.engine import GameDays
from firefighter.incidents.conversation_models import Person
from firefighter.incidents.people import People
from firefighter.postmortem.confluence import ConfluencePublisher
from firefighter.postmortem.gameday_publish import publish_report
from firefighter.postmortem.gameday_report import build_report, render_html, render_storage
from tests.conftest import FakeClock
from tests.gameday.helpers import TWO_TEAMS, two_teams

NAMESPACES = (
    'xmlns:ac="http://atlassian.com/content" xmlns:ri="http://atlassian.com/resource/identifier"'
)
HOSTILE = 'Payments <script>alert("x")</script> & ]]> down'


@pytest.fixture
def played(core: Core, clock: FakeClock) -> GameDays:
    """A Game Day whose first drill was played with hostile text, then stopped."""
    clock.tick = timedelta(0)
    core.settings.gameday_channel = "C0GAMEDAY"
    gamedays = core.gamedays()
    gamedays.load(
        two_teams(TWO_TEAMS.replace("title: Checkout answers 502", f"title: '{HOSTILE}'")),
        source="test.yaml",
        actor=None,
    )
    gamedays.start("Test day", actor=None)
    gamedays.tick()
    drill = gamedays.board(1).drills[0].incident_id
    clock.advance(minutes=3)
    core.service.add_update(drill, f"Found it: {HOSTILE}\x07", actor="U_ALICE")
    clock.advance(minutes=3)
    gamedays.tick()  # the hint
    clock.advance(minutes=4)
    core.service.transition(drill, "mitigated", actor="U_ALICE")
    gamedays.stop(None, actor=None)
    return gamedays


def parse(storage: str) -> ET.Element:
    return ET.fromstring(f"<root {NAMESPACES}>{storage}</root>")


def test_the_report_is_well_formed_and_escapes_what_players_wrote(played: GameDays) -> None:
    report = build_report(played, 1)
    root = parse(render_storage(report, chart_filename="gameday-1-scores.png"))
    assert [h.text for h in root.iter("h2")] == [
        "Scores",
        f"Scenario 1: {HOSTILE}",
        "Scenarios not played",
        "Lessons learned",
        "What went well",
        "What to practise next",
    ]
    assert root.find(".//script") is None
    text = "".join(root.itertext())
    assert f"Found it: {HOSTILE}" in text
    assert "Look at the 09:00 deploy." in text  # the hint, released at +5 min
    assert "The deploy set a 300 ms timeout <!channel>." in text
    rows = [["".join(cell.itertext()) for cell in row] for row in root.iter("tr")]
    # No role taken, no post-mortem; the hint released cost 5 points.
    assert ["red", "20", "40", "15", "0", "0", "−5", "70", "70"] in rows
    assert ["blue", "0", "0", "0", "0", "0", "−0", "0", "0"] in rows


@pytest.fixture
def confluence() -> Iterator[ConfluenceEmulator]:
    with ConfluenceEmulator(username="bot@example.com", password="t", spaces=("ENG",)) as found:
        yield found


def test_the_report_goes_to_confluence_once_and_keeps_the_lessons(
    played: GameDays, core: Core, confluence: ConfluenceEmulator
) -> None:
    settings = core.settings.model_copy(
        update={
            "confluence_url": confluence.url,
            "confluence_username": "bot@example.com",
            "confluence_api_token": "t",
            "confluence_space": "ENG",
        }
    )
    report = build_report(played, 1)
    board = played.board(1)
    png = scores_chart(board)

    def publish(known: str | None) -> str:
        published = publish_report(
            settings,
            report,
            storage=render_storage(report, chart_filename=chart_filename(board)),
            chart_png=png,
            chart_name=chart_filename(board),
            known_page_id=known,
            publisher=ConfluencePublisher.from_settings(settings),
        )
        return published.page_id

    page_id = publish(None)
    page = confluence.page(page_id)
    assert page.title == "Game Day report: Test day (2026-03-02)"
    assert [a.title for a in confluence.attachments(page_id)] == ["gameday-1-scores.png"]
    lessons = page.body.replace(
        "<h2>Lessons learned</h2>", "<h2>Lessons learned</h2><p>Practise rollbacks.</p>"
    )
    confluence.edit_page(page_id, lessons)

    assert publish(None) == page_id  # found again by its owner mark, not duplicated
    assert len(confluence.pages("ENG")) == 1
    assert "<p>Practise rollbacks.</p>" in confluence.page(page_id).body


def remember(core: Core, clock: FakeClock, **names: str) -> None:
    """Names in the users cache, as users.info would have filled it."""
    with core.factory.begin() as session:
        for user_id, name in names.items():
            session.add(Person(user_id=user_id, name=name, refreshed_at=clock()))


def test_the_report_names_players_from_the_users_cache(
    played: GameDays, core: Core, clock: FakeClock
) -> None:
    drill = played.board(1).drills[0].incident_id
    core.service.add_update(drill, "Paging <@U_ALICE> and <@U_NOBODY>", actor="U_NOBODY")
    remember(core, clock, U_ALICE="Alice Martin")
    report = build_report(played, 1, names=People(core.factory, clock).names)
    storage = render_storage(report)
    rows = [["".join(cell.itertext()) for cell in row] for row in parse(storage).iter("tr")]
    who = {row[2] for row in rows if len(row) == 5 and row[0] != "Time (UTC)"}
    assert "Alice Martin" in who and "U_ALICE" not in storage
    assert "U_NOBODY" in who  # never named by Slack: the id, rather than nothing
    assert ["Paging @Alice Martin and @U_NOBODY"] in [row[4:] for row in rows if len(row) == 5]
    assert "Alice Martin" in render_html(report) and "U_ALICE" not in render_html(report)
