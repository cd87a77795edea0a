"""The console's session as an API caller (`/api/v1` from a signed-in browser)."""

from __future__ import annotations

from starlette.requests import Request

from firefighter.settings import Settings
from firefighter.web.api.routes import CurrentPerson
from firefighter.web.api.tokens import Caller
from firefighter.web.signin.config import SignInConfig
from firefighter.web.signin.session import check_csrf, current_viewer

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
CSRF_HEADER = "x-csrf-token"


def session_caller(settings: Settings) -> CurrentPerson | None:
    """The signed-in person as the API's caller, or None when the console is off. A write
    from the cookie needs the session's CSRF token (`X-CSRF-Token`) or the console's own
    `Origin`; without either the call is treated as unauthenticated (401), so a cross-site
    POST changes nothing."""
    config = SignInConfig.from_settings(settings)
    if config is None:
        return None
    origin = config.origin

    def person(request: Request) -> Caller | None:
        if "session" not in request.scope:
            return None
        viewer = current_viewer(request)
        if viewer is None:
            return None
        if request.method not in SAFE_METHODS and not check_csrf(
            request, request.headers.get(CSRF_HEADER), origin
        ):
            return None
        return Caller(actor=viewer.user_id, person=viewer.user_id)

    return person
