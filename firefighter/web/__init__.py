"""The web surface: the FastAPI application (`web.app`), the REST API (`web.api`), outbound
webhooks (`web.hooks`), the console and sign-in; `/healthz`'s check and the loopback server."""

from __future__ import annotations

from firefighter.web.health import HEALTH_SECONDS, health_check
from firefighter.web.server import BackgroundServer, free_port

__all__ = ["HEALTH_SECONDS", "BackgroundServer", "free_port", "health_check"]
