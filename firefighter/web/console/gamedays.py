"""`GET /gamedays` and `GET /gamedays/{id}`: the list, and a board that updates itself while
the Game Day runs (the page polls `/gamedays/{id}/board` every few seconds), then its report."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session, sessionmaker

from firefighter.gameday.engine import GameDays
from firefighter.gameday.scoring import CATEGORIES, CATEGORY_LABELS
from firefighter.incidents.errors import NotFound
from firefighter.incidents.listing import visible_ids
from firefighter.web.console.pages import sign_in_first
from firefighter.web.console.render import Renderer
from firefighter.web.signin import Viewer, current_viewer

POLL_SECONDS = 2


def gameday_pages(
    gamedays: GameDays, factory: sessionmaker[Session], render: Renderer
) -> APIRouter:
    """The Game Day pages over `gamedays`; a private drill's title shows to its members only."""
    router = APIRouter(include_in_schema=False)
    categories = [(c, CATEGORY_LABELS.get(c, c)) for c in CATEGORIES]

    @router.get("/gamedays")
    def listing(request: Request) -> Response:
        if current_viewer(request) is None:
            return sign_in_first(request)
        return render.page(request, "gamedays.html", title="Game Days", gamedays=gamedays.all())

    def board_context(viewer: Viewer, gameday_id: str) -> dict[str, Any] | None:
        if not gameday_id.isdigit():
            return None
        try:
            gameday = gamedays.get(int(gameday_id))
            board = gamedays.board(gameday.id)
        except NotFound:
            return None
        drills = [d.incident_id for d in board.drills]
        seen = visible_ids(factory, drills, viewer.sees)
        return {
            "gameday": gameday,
            "board": board,
            "seen": seen,
            "categories": categories,
            "poll_ms": POLL_SECONDS * 1000,
        }

    @router.get("/gamedays/{gameday_id}")
    def one(request: Request, gameday_id: str) -> Response:
        viewer = current_viewer(request)
        if viewer is None:
            return sign_in_first(request)
        context = board_context(viewer, gameday_id)
        if context is None:
            return render.message(request, 404, "No such Game Day", "Pick one in the list.")
        title = f"Game Day {context['board'].name}"
        return render.page(request, "gameday.html", title=title, **context)

    @router.get("/gamedays/{gameday_id}/board")
    def board(request: Request, gameday_id: str) -> Response:
        viewer = current_viewer(request)
        if viewer is None:
            return Response(status_code=401)
        context = board_context(viewer, gameday_id)
        if context is None:
            return Response("not found\n", status_code=404, media_type="text/plain")
        answer = render.page(request, "_board.html", **context)
        answer.headers["Cache-Control"] = "no-store"
        return answer

    return router
