"""What sign-in needs, read from the settings; None when the console is off."""

from __future__ import annotations

import logging
import secrets
import urllib.parse
from dataclasses import dataclass

from firefighter.settings import Settings

log = logging.getLogger(__name__)

HOW_TO_TURN_ON = (
    "FIREFIGHTER_OIDC_ISSUER",
    "FIREFIGHTER_OIDC_CLIENT_ID",
    "FIREFIGHTER_OIDC_CLIENT_SECRET",
    "FIREFIGHTER_BASE_URL",
    "FIREFIGHTER_SESSION_SECRET",
)
"""The settings that turn the console on (the last one keeps sessions across restarts)."""


@dataclass(frozen=True)
class SignInConfig:
    """The issuer, this app's client, the console's public URL and the cookie signing key."""

    issuer: str
    client_id: str
    client_secret: str
    base_url: str
    session_secret: str

    @property
    def redirect_uri(self) -> str:
        """Exactly what is registered with the issuer."""
        return f"{self.base_url}/auth/callback"

    @property
    def secure(self) -> bool:
        """Behind https the cookie is `Secure`."""
        return self.base_url.startswith("https://")

    @property
    def origin(self) -> str:
        """`scheme://host[:port]` of the console, for the same-origin check."""
        parts = urllib.parse.urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def discovery_url(self) -> str:
        """Where the issuer describes itself."""
        return f"{self.issuer.rstrip('/')}/.well-known/openid-configuration"

    @classmethod
    def from_settings(cls, settings: Settings) -> SignInConfig | None:
        """The configuration, or None when issuer, client or base URL is missing."""
        issuer, client_id = settings.oidc_issuer, settings.oidc_client_id
        secret, base = settings.oidc_client_secret, settings.base_url
        if not (issuer and client_id and secret and base):
            return None
        session_secret = settings.session_secret
        if not session_secret:
            # Sessions then last as long as the process: say so once.
            log.warning("FIREFIGHTER_SESSION_SECRET is not set; console sessions end on restart")
            session_secret = secrets.token_urlsafe(32)
        return cls(issuer, client_id, secret, base.rstrip("/"), session_secret)
