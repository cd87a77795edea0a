"""Who is signed in, and the CSRF rule for every state-changing request from a session."""

from __future__ import annotations

import hmac
import secrets
import urllib.parse
from dataclasses import dataclass

from starlette.requests import Request

SESSION_USER = "user"
SESSION_NAME = "name"
SESSION_CSRF = "csrf"
SESSION_ADMIN = "admin"


@dataclass(frozen=True)
class Viewer:
    """The signed-in person: a Slack user id and the name to greet them by."""

    user_id: str
    name: str
    admin: bool = False

    @property
    def sees(self) -> str | None:
        """Whose visibility applies: the person's, or None for an admin (who sees all)."""
        return None if self.admin else self.user_id


def current_viewer(request: Request) -> Viewer | None:
    """The signed-in person, or None."""
    session = request.session
    user_id = session.get(SESSION_USER)
    if not isinstance(user_id, str) or not user_id:
        return None
    return Viewer(
        user_id, str(session.get(SESSION_NAME) or user_id), session.get(SESSION_ADMIN) is True
    )


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use), to put in every form."""
    token = request.session.get(SESSION_CSRF)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF] = token
    return token


def check_csrf(request: Request, submitted: str | None, origin: str) -> bool:
    """Whether a state-changing request may proceed: an `Origin` from elsewhere never does;
    otherwise the form's token must match the session's, or the `Origin` be the console's."""
    sent_origin = request.headers.get("origin")
    if sent_origin and sent_origin != "null" and sent_origin.rstrip("/") != origin:
        return False
    expected = request.session.get(SESSION_CSRF)
    if submitted and isinstance(expected, str) and hmac.compare_digest(submitted, expected):
        return True
    return sent_origin is not None and sent_origin.rstrip("/") == origin


def safe_return_path(value: str | None) -> str:
    """A path on this site to return to after sign-in; anything else (another host, a scheme,
    `//host`, back-slashes) becomes `/`, so the sign-in flow is no open redirect."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/"
    if "\\" in value or any(ord(c) < 32 for c in value):
        return "/"
    parts = urllib.parse.urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/"
    return value
