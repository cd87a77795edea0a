"""Sign-in to the web console with OpenID Connect (Slack, or any provider): the settings it
needs, the signed session cookie, the CSRF rules, and the `/auth/*` routes."""

from firefighter.web.signin.config import SignInConfig
from firefighter.web.signin.routes import signin_router
from firefighter.web.signin.session import Viewer, check_csrf, csrf_token, current_viewer

__all__ = [
    "SignInConfig",
    "Viewer",
    "check_csrf",
    "csrf_token",
    "current_viewer",
    "signin_router",
]
