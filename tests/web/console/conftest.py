"""A console on loopback, signed in through the Slack emulator's OIDC endpoints."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import httpx
import pytest
from slack_sdk import WebClient

from firefighter.bootstrap import Core, build_core
from firefighter.emulators.slack import SlackEmulator
from firefighter.gameday.engine import GameDays
from firefighter.observability import Metrics
from firefighter.settings import Settings
from firefighter.web.api.routes import ApiServices, api_router
from firefighter.web.app import build_app
from firefighter.web.console import mount_console
from firefighter.web.server import BackgroundServer, free_port
from firefighter.web.signin.api_session import session_caller
from firefighter.web.signin.slack_people import slack_user_by_email
from tests.conftest import FakeClock

CLIENT_ID = "1234.5678"
CLIENT_SECRET = "console-test-secret"
PEOPLE = {
    "UALICE": ("alice", "Alice Martin", "alice@example.com"),
    "UBOB": ("bob", "Bob Stone", "bob@example.com"),
    "UCAROL": ("carol", "Carol Diaz", "carol@example.com"),
    "UADMIN": ("admin", "Ada Admin", "ada@example.com"),
}


@dataclass
class World:
    """The emulator, the core and the console's URL."""

    emulator: SlackEmulator
    core: Core
    settings: Settings
    url: str
    clock: FakeClock

    def client(self) -> httpx.Client:
        """A browser-like HTTP client that keeps cookies and does not follow redirects."""
        return httpx.Client(base_url=self.url, timeout=10)

    def sign_in(
        self, user_id: str, client: httpx.Client | None = None, next: str = "/"
    ) -> httpx.Client:
        """Sign `user_id` in through the emulator's authorize page, as a person would."""
        client = client or self.client()
        answer = client.get("/auth/login", params={"next": next})
        assert answer.status_code in (302, 303, 307), answer.text
        page = httpx.get(answer.headers["location"], timeout=10)
        assert page.status_code == 200, page.text
        fields = {
            html.unescape(k): html.unescape(v)
            for k, v in re.findall(
                r'<input type="hidden" name="([^"]*)" value="([^"]*)">', page.text
            )
        }
        picked = httpx.post(
            f"{self.emulator.base_url}/openid/connect/authorize",
            data={**fields, "user": user_id},
            timeout=10,
        )
        assert picked.status_code == 302, picked.text
        back = client.get(picked.headers["location"])
        assert back.status_code == 303, back.text
        return client


def people_names(emulator: SlackEmulator):  # type: ignore[no-untyped-def]
    def names(ids: Iterable[str]) -> dict[str, str]:
        out = {}
        for user_id in ids:
            user = emulator.user(user_id)
            if user is not None:
                out[user_id] = user.real_name
        return out

    return names


@pytest.fixture
def world(settings: Settings, clock: FakeClock) -> Iterator[World]:
    emulator = SlackEmulator(scopes=None).start()
    for user_id, (name, real, email) in PEOPLE.items():
        emulator.add_user(user_id, name, real_name=real, email=email)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    emulator.register_oidc_client(CLIENT_ID, CLIENT_SECRET, [f"{base}/auth/callback"])
    configured = settings.model_copy(
        update={
            "oidc_issuer": emulator.base_url,
            "oidc_client_id": CLIENT_ID,
            "oidc_client_secret": CLIENT_SECRET,
            "base_url": base,
            "session_secret": "x" * 40,
            "timezone": "Europe/Paris",
            "gameday_channel": "C0GAMEDAY",
        }
    )
    core = build_core(configured, clock=clock)
    # As `serve` builds it: the one FastAPI app with the REST API (a console session is a
    # caller too), then the console mounted on it.
    api = api_router(
        ApiServices(
            core.factory, core.service, configured, core.followups, session_caller(configured)
        )
    )
    app = build_app([api], check_health=lambda: (200, {}), metrics=Metrics())
    mount_console(
        app,
        settings=configured,
        factory=core.factory,
        names=people_names(emulator),
        gamedays=GameDays(configured, core.service),
        clock=core.service.clock,
        is_admin=lambda user_id: user_id == "UADMIN",
        find_by_email=slack_user_by_email(
            WebClient(base_url=emulator.api_url, token=emulator.bot_token, timeout=5)
        ),
    )
    server = BackgroundServer(app, port=port).start()
    try:
        yield World(emulator, core, configured, base, clock)
    finally:
        server.stop()
        core.close()
        emulator.stop()
