"""Running a Game Day without Slack: steps happen once, the board is throttled, the end."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from firefighter.bootstrap import Core, build_core
from firefighter.gameday.engine import GameDays
from firefighter.incidents import effects
from firefighter.incidents.models import Incident
from firefighter.outbox.models import OutboxItem
from tests.conftest import FakeClock
from tests.gameday.helpers import two_teams


@pytest.fixture
def gamedays(core: Core, clock: FakeClock) -> GameDays:
    clock.tick = timedelta(0)
    core.settings.gameday_channel = "C0GAMEDAY"
    core.settings.gameday_board_seconds = 60
    found = core.gamedays()
    found.load(two_teams(), source="test.yaml", actor=None)
    found.start("Test day", actor="U_DAVE")
    return found


def kinds(core: Core) -> list[str]:
    with core.factory() as session:
        return list(session.scalars(select(OutboxItem.kind).order_by(OutboxItem.id)))


def test_each_step_happens_once_with_several_workers(
    gamedays: GameDays, core: Core, clock: FakeClock
) -> None:
    clock.advance(minutes=11)  # both scenarios and the first hint are due
    others = [build_core(core.settings, clock=clock) for _ in range(3)]
    start = threading.Barrier(len(others))
    errors: list[BaseException] = []

    def work(other: Core) -> None:
        try:
            start.wait()
            other.gamedays().tick()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(o,)) for o in others]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    for other in others:
        other.close()
    assert errors == []
    with core.factory() as session:
        titles = list(session.scalars(select(Incident.title).order_by(Incident.id)))
    assert titles == ["Checkout answers 502", "Search is stale"]
    assert kinds(core).count(effects.GAMEDAY_HINT) == 1
    assert kinds(core).count(effects.GAMEDAY_THEME) == 2


def test_the_board_redraw_is_throttled_and_never_loses_the_last_change(
    gamedays: GameDays, core: Core, clock: FakeClock
) -> None:
    gamedays.tick()  # injects red's drill at +0
    drill = gamedays.board(1).drills[0]
    service = core.service
    boards = lambda: kinds(core).count(effects.GAMEDAY_BOARD)  # noqa: E731
    assert boards() == 1  # the one posted at the start

    clock.advance(seconds=20)
    service.assign_role(drill.incident_id, "commander", "U_ALICE", actor="U_ALICE")
    gamedays.tick()
    clock.advance(seconds=20)
    service.add_update(drill.incident_id, "Looking", actor="U_ALICE")
    gamedays.tick()
    assert boards() == 1  # within a minute of the last draw: changes wait

    clock.advance(seconds=21)  # 61 s since the start's draw
    gamedays.tick()
    assert boards() == 2  # one redraw for both changes
    clock.advance(minutes=5)
    gamedays.tick()
    assert boards() == 2  # nothing changed since

    service.add_update(drill.incident_id, "Rolling back", actor="U_ALICE")
    gamedays.tick()
    assert boards() == 3  # long enough since the last redraw: drawn at once
    points = gamedays.board(1).teams[0].drills[0].score.points
    # A team of two can hold two roles (7 pts at best): the commander's 4 scale to 6 of 10.
    assert points["acknowledge"] == 20 and points["roles"] == 6


def test_the_game_day_ends_when_every_drill_is_closed(
    gamedays: GameDays, core: Core, clock: FakeClock
) -> None:
    service = core.service
    clock.advance(minutes=10)
    gamedays.tick()
    for drill in gamedays.board(1).drills:
        service.assign_role(drill.incident_id, "commander", "U_ALICE", actor="U_ALICE")
        service.close(drill.incident_id, actor="U_ALICE", reason="cancelled")
    assert gamedays.get(1).status == "running"
    gamedays.tick()
    assert gamedays.get(1).status == "ended"
    tail = kinds(core)[-5:]
    assert tail[0] == effects.GAMEDAY_BOARD
    assert tail.count(effects.GAMEDAY_REVEAL) == 2
    assert tail[-2:] == [effects.GAMEDAY_CHART, effects.GAMEDAY_REPORT]
    clock.advance(minutes=30)
    assert gamedays.tick() == []  # an ended Game Day releases no more hints
