"""What the Game Day handlers made (the board's message, the report's page), as outcomes.

The dispatcher writes them with the recorders below in the transaction that marks the
effect delivered (see incidents/outcomes for the incident's own).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from firefighter.gameday.models import GameDay
from firefighter.outbox import Recorder


@dataclass(frozen=True)
class BoardPosted:
    """The scoreboard is posted: later redraws update message `ts` in place."""

    gameday_id: int
    ts: str


@dataclass(frozen=True)
class ReportPublished:
    """The Game Day's report is published at `url`."""

    gameday_id: int
    page_id: str
    url: str


def _write(session: Session, gameday_id: int, **values: Any) -> None:
    session.execute(
        update(GameDay)
        .where(GameDay.id == gameday_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def board_posted(session: Session, made: BoardPosted) -> None:
    """Remember the scoreboard message."""
    _write(session, made.gameday_id, board_ts=made.ts)


def report_published(session: Session, made: ReportPublished) -> None:
    """Remember where the report was published."""
    _write(session, made.gameday_id, report_page_id=made.page_id, report_url=made.url[:500])


RECORDERS: dict[type, Recorder] = {BoardPosted: board_posted, ReportPublished: report_published}
"""How each Game Day outcome is written; the composition root registers them."""
