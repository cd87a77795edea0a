"""`GET /api/v1/gamedays` and `GET /api/v1/gamedays/{id}`: the Game Days, and one with its
board (points per team and per drill, now or at its end).

A drill is an incident: the title of a private one shows to its members only, as in Slack
and on the console's board.
"""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations, which
# name the caller dependency handed in by `api_router`.

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from firefighter.gameday.board import Board
from firefighter.gameday.engine import GameDays
from firefighter.gameday.models import GameDay
from firefighter.incidents.errors import NotFound
from firefighter.web.api.tokens import Caller

SeenIds = Callable[[Caller, Iterable[int]], set[int]]
"""Which of these incident ids the caller may see."""


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def gameday_json(gameday: GameDay) -> dict[str, Any]:
    """A Game Day's fields, times in ISO 8601."""
    return {
        "id": gameday.id,
        "name": gameday.name,
        "mode": gameday.mode,
        "status": gameday.status,
        "source": gameday.source,
        "loaded_at": _when(gameday.loaded_at),
        "started_at": _when(gameday.started_at),
        "ended_at": _when(gameday.ended_at),
        "channel_id": gameday.channel_id,
        "report_url": gameday.report_url,
    }


def board_json(board: Board, seen: set[int]) -> dict[str, Any]:
    """Points per team, best first, and per drill; private drills' titles only if `seen`."""
    return {
        "as_of": board.as_of.isoformat(),
        "scenarios_total": board.scenarios_total,
        "rules": list(board.rules),
        "teams": [
            {
                "team": team.team,
                "points": team.points,
                "per_drill": round(team.per_drill, 2),
                "drills": [
                    {
                        "index": drill.index,
                        "incident_id": drill.incident_id,
                        "reference": drill.reference,
                        "title": drill.title if drill.incident_id in seen else None,
                        "severity": drill.severity,
                        "status": drill.status,
                        "points": drill.score.total,
                        "by_category": dict(drill.score.points),
                    }
                    for drill in team.drills
                ],
            }
            for team in board.teams
        ],
    }


def add_gameday_routes(
    router: APIRouter,
    caller: Callable[..., Caller],
    gamedays: GameDays,
    seen_ids: SeenIds,
    refuse: Callable[[int, str], Exception],
) -> None:
    """Add the Game Day routes to `router`, behind the API's `caller` dependency."""
    Who = Annotated[Caller, Depends(caller)]

    @router.get("/gamedays", summary="Game Days, newest first, as `gameday list` shows them")
    def listing(who: Who) -> list[dict[str, Any]]:
        del who  # any caller: a Game Day's fields name no private incident
        return [gameday_json(g) for g in gamedays.all()]

    @router.get("/gamedays/{gameday_id}", summary="One Game Day and its board")
    def one(who: Who, gameday_id: int) -> dict[str, Any]:
        try:
            gameday = gamedays.get(gameday_id)
            board = gamedays.board(gameday.id)
        except NotFound:
            raise refuse(404, f"there is no Game Day {gameday_id}") from None
        seen = seen_ids(who, [d.incident_id for d in board.drills])
        return {**gameday_json(gameday), "board": board_json(board, seen)}
