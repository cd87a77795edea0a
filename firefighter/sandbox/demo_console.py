"""The demo's web console: served on loopback, signed in as Alice through the Slack
emulator's "Sign in with Slack", and the incident's page and the figures saved to files."""

from __future__ import annotations

import html
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
from fastapi import FastAPI
from rich.console import Console
from slack_sdk import WebClient

from firefighter.bootstrap import Core, build_core, mount_web_console
from firefighter.emulators.slack import SlackEmulator
from firefighter.settings import Settings
from firefighter.web.server import BackgroundServer

HIDDEN = re.compile(r'<input type="hidden" name="([^"]*)" value="([^"]*)">')


def sign_in(console_url: str, user_id: str, *, timeout: float = 10) -> httpx.Client:
    """A client signed in to the console as `user_id`, through the issuer's authorize page
    (the person's button pressed as they would)."""
    client = httpx.Client(base_url=console_url, timeout=timeout)
    login = client.get("/auth/login")
    if "location" not in login.headers:
        raise RuntimeError(f"the console did not send us to sign in: {login.status_code}")
    authorize = httpx.get(login.headers["location"], timeout=timeout)
    fields = {html.unescape(k): html.unescape(v) for k, v in HIDDEN.findall(authorize.text)}
    action = authorize.url.copy_with(query=None)
    picked = httpx.post(str(action), data={**fields, "user": user_id}, timeout=timeout)
    back = client.get(picked.headers["location"])
    if back.status_code != 303:
        raise RuntimeError(f"signing in as {user_id} failed: {back.status_code}")
    return client


@dataclass
class DemoConsole:
    """The console served for the demo, and the core it reads."""

    core: Core
    server: BackgroundServer
    client_id: str

    @property
    def url(self) -> str:
        """The console's URL."""
        return self.server.url

    def stop(self) -> None:
        """Stop serving and close the database."""
        self.server.stop()
        self.core.close()


def start_console(
    emulator: SlackEmulator,
    database_url: str,
    *,
    port: int,
    clock: Callable[[], datetime],
) -> DemoConsole:
    """Register the console with the emulator's OIDC side and serve it on `port`."""
    base = f"http://127.0.0.1:{port}"
    client_id, secret = f"{emulator.team_id}.console", secrets.token_urlsafe(16)
    emulator.register_oidc_client(client_id, secret, [f"{base}/auth/callback"])
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        timezone="Europe/Paris",
        base_url=base,
        oidc_issuer=emulator.base_url,
        oidc_client_id=client_id,
        oidc_client_secret=secret,
        session_secret=secrets.token_urlsafe(32),
    )
    core = build_core(settings, clock=clock)
    # Wired as `serve` wires it (bootstrap's one composition root).
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    client = WebClient(base_url=emulator.api_url, token=emulator.bot_token, timeout=10)
    mount_web_console(app, core, client)
    return DemoConsole(core, BackgroundServer(app, port=port).start(), client_id)


def save_pages(console: DemoConsole, folder: Path, incident_id: int, user_id: str) -> list[Path]:
    """Sign in as `user_id`, save the incident's page and the figures (with the stylesheet
    and the charts beside them, links made relative) under `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    client = sign_in(console.url, user_id)
    try:
        assets = {
            "/console-static/console.css": "console.css",
            f"/incidents/{incident_id}/phases.png": "phases.png",
            "/figures/weekly.png?weeks=4": "weekly.png",
        }
        for path, name in assets.items():
            (folder / name).write_bytes(client.get(path).content)
        saved = []
        pages = {f"/incidents/{incident_id}": "incident.html", "/figures?days=30": "figures.html"}
        for path, name in pages.items():
            text = client.get(path).text
            for source, asset in assets.items():
                text = text.replace(f'"{html.escape(source)}"', f'"{asset}"')
            target = folder / name
            target.write_text(text, encoding="utf-8")
            saved.append(target)
    finally:
        client.close()
    return saved


def wait_forever(console: Console) -> None:
    """Keep everything running until Ctrl-C."""
    console.print("Press Ctrl-C to stop.", highlight=False)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        console.print("Stopping.", highlight=False)
