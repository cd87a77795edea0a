"""`GET /auth/login` → the issuer → `GET /auth/callback`; `POST /auth/logout`.

Authlib does the protocol: discovery, `state` and `nonce` kept in the session and checked on
return, the code exchanged with the client secret, the id token's signature checked against
the issuer's keys, and its issuer and audience checked.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from typing import Any

from authlib.integrations.starlette_client import OAuth
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from firefighter.web.signin.config import SignInConfig
from firefighter.web.signin.session import (
    SESSION_ADMIN,
    SESSION_NAME,
    SESSION_USER,
    check_csrf,
    csrf_token,
    safe_return_path,
)

log = logging.getLogger(__name__)

FindByEmail = Callable[[str], "str | None"]
"""A Slack user id from an e-mail address (for providers other than Slack), or None."""
IsAdmin = Callable[[str], bool]
"""Whether a Slack user is a FireFighter admin (who sees every incident)."""

SLACK_USER_CLAIM = "https://slack.com/user_id"
RETURN_TO = "return_to"
HTTP_SECONDS = 10.0


def _page(status: int, title: str, text: str, link: str = "/auth/login") -> HTMLResponse:
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title></head><body><main><h1>{html.escape(title)}</h1>"
        f'<p>{html.escape(text)}</p><p><a href="{html.escape(link)}">Sign in</a></p>'
        "</main></body></html>"
    )
    return HTMLResponse(body, status_code=status)


def signin_router(
    config: SignInConfig,
    *,
    find_by_email: FindByEmail | None = None,
    is_admin: IsAdmin | None = None,
) -> APIRouter:
    """The `/auth/*` routes for `config` (the app needs SessionMiddleware). Whether the person
    is an admin is decided once, at sign-in (it may ask Slack for user groups)."""
    oauth = OAuth()
    oauth.register(
        name="oidc",
        client_id=config.client_id,
        client_secret=config.client_secret,
        server_metadata_url=config.discovery_url,
        client_kwargs={"scope": "openid profile email", "timeout": HTTP_SECONDS},
    )
    client: Any = oauth.create_client("oidc")
    router = APIRouter(include_in_schema=False)

    @router.get("/auth/login")
    async def login(request: Request, next: str | None = None) -> Response:
        request.session[RETURN_TO] = safe_return_path(next)
        try:
            answer: Response = await client.authorize_redirect(request, config.redirect_uri)
        except Exception as error:  # the issuer is down or misconfigured: say so, no trace
            log.warning("sign-in: cannot reach the issuer: %s", error)
            return _page(
                502,
                "Sign-in is unavailable",
                f"The sign-in provider at {config.issuer} does not answer; try again shortly.",
            )
        return answer

    @router.get("/auth/callback")
    async def callback(request: Request) -> Response:
        if "error" in request.query_params:
            return _page(400, "Sign-in cancelled", "The provider did not sign you in.")
        try:
            token = await client.authorize_access_token(request)
        except Exception as error:  # state, nonce, signature, audience, code: all refusals
            log.info("sign-in refused: %s", error)
            return _page(400, "Sign-in failed", "The answer from the sign-in provider was refused.")
        claims = dict(token.get("userinfo") or {})
        user_id = claims.get(SLACK_USER_CLAIM)
        email = str(claims.get("email") or "")
        if not user_id and email and find_by_email is not None:
            user_id = find_by_email(email)
        if not user_id:
            return _page(
                403,
                "Unknown person",
                f"No Slack user has the e-mail address {email or '(none given)'}; "
                "ask an admin to check your Slack profile's e-mail.",
            )
        back = safe_return_path(request.session.get(RETURN_TO))
        # A fresh session on sign-in, so no one can plant a session id beforehand.
        request.session.clear()
        request.session[SESSION_USER] = str(user_id)
        request.session[SESSION_NAME] = str(claims.get("name") or user_id)
        request.session[SESSION_ADMIN] = bool(is_admin and is_admin(str(user_id)))
        csrf_token(request)
        return RedirectResponse(back, status_code=303)

    @router.post("/auth/logout")
    async def logout(request: Request) -> Response:
        form = await request.form()
        submitted = form.get("csrf")
        if not check_csrf(
            request, submitted if isinstance(submitted, str) else None, config.origin
        ):
            return _page(
                403, "Refused", "This form is out of date; reload the page and retry.", "/"
            )
        request.session.clear()
        return _page(200, "Signed out", "You are signed out of the FireFighter console.")

    return router
