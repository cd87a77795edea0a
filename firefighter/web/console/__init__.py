"""The web console: server-rendered pages over the incidents, the figures and the Game Days,
behind OpenID Connect sign-in. `mount_console(app, ...)` puts it on a FastAPI app."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from importlib.resources import files

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker
from starlette.middleware.sessions import SessionMiddleware

from firefighter.db import utcnow
from firefighter.gameday.engine import GameDays
from firefighter.settings import Settings
from firefighter.web.console.figures import figures_pages
from firefighter.web.console.gamedays import gameday_pages
from firefighter.web.console.pages import incident_pages
from firefighter.web.console.render import SECURITY_HEADERS, Renderer
from firefighter.web.signin import SignInConfig, signin_router
from firefighter.web.signin.config import HOW_TO_TURN_ON
from firefighter.web.signin.routes import FindByEmail, IsAdmin

SESSION_COOKIE = "firefighter_session"
SESSION_HOURS = 12


def mount_console(
    app: FastAPI,
    *,
    settings: Settings,
    factory: sessionmaker[Session],
    names: Callable[[Iterable[str]], dict[str, str]],
    gamedays: GameDays | None = None,
    find_by_email: FindByEmail | None = None,
    is_admin: IsAdmin | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> bool:
    """Add the console's routes (and the session middleware) to `app`; True when it is on.

    Without the OIDC settings, only `GET /` answers, saying how to turn the console on.
    `names` names people by Slack id; `find_by_email` maps a provider's e-mail to a Slack user
    (providers other than Slack); `is_admin` says who sees every incident (the access
    policy's admins); `gamedays` serves the Game Day pages.
    """
    static = files("firefighter.web.console") / "static"
    app.mount("/console-static", StaticFiles(directory=str(static)), name="console-static")
    config = SignInConfig.from_settings(settings)
    render = Renderer(settings.zone)
    if config is None:

        @app.get("/", include_in_schema=False)
        def console_off() -> Response:
            body = render.env.get_template("off.html").render(settings=HOW_TO_TURN_ON)
            return HTMLResponse(body, headers=SECURITY_HEADERS)

        return False
    app.add_middleware(
        SessionMiddleware,
        secret_key=config.session_secret,
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_HOURS * 3600,
        same_site="lax",
        https_only=config.secure,
    )
    app.include_router(signin_router(config, find_by_email=find_by_email, is_admin=is_admin))
    app.include_router(incident_pages(factory, settings, render, names))
    app.include_router(figures_pages(factory, settings, render, clock))
    if gamedays is not None:
        app.include_router(gameday_pages(gamedays, factory, render))
    return True


def console_app(**kwargs: object) -> FastAPI:
    """A FastAPI app with only the console on it (tests; the demo until one app serves all)."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    mount_console(app, **kwargs)  # type: ignore[arg-type]
    return app


__all__ = ["console_app", "mount_console"]
