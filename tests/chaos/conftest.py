"""A bot whose chaos endpoints are served over HTTP, wired as `serve` wires them."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from firefighter.bootstrap import Core, build_core
from firefighter.chaos.endpoint import chaos_router
from firefighter.incidents.chaos_models import ChaosResult
from firefighter.observability import Metrics
from firefighter.settings import Settings
from firefighter.web import BackgroundServer
from firefighter.web.app import build_app
from tests.conftest import FakeClock

PAYLOADS = Path(__file__).parent / "payloads"
TOKEN = "chaos-token-1234"


def payload(name: str) -> dict[str, Any]:
    """A stored document (see payloads/, shaped as the tools serialise them)."""
    data: dict[str, Any] = json.loads((PAYLOADS / f"{name}.json").read_text())
    return copy.deepcopy(data)


@dataclass
class ChaosBot:
    """The core and its chaos endpoints on a loopback server."""

    core: Core
    url: str
    clock: FakeClock

    def post(
        self,
        source: str,
        body: Any,
        *,
        token: str | None = TOKEN,
        raw: bytes | None = None,
        query: str = "",
    ) -> requests.Response:
        data = raw if raw is not None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return requests.post(
            f"{self.url}/chaos/{source}{query}", data=data, headers=headers, timeout=10
        )

    def gate(self, component: str) -> requests.Response:
        return requests.get(f"{self.url}/chaos/gate", params={"component": component}, timeout=10)

    def results(self) -> list[ChaosResult]:
        with self.core.factory() as session:
            return list(session.scalars(select(ChaosResult).order_by(ChaosResult.id)))

    def count(self) -> int:
        with self.core.factory() as session:
            return session.scalar(select(func.count()).select_from(ChaosResult)) or 0


@pytest.fixture
def chaos_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"chaos_token": TOKEN, "admins": ["UADMIN"]})


@pytest.fixture
def chaos_bot(chaos_settings: Settings, clock: FakeClock) -> Iterator[ChaosBot]:
    core = build_core(chaos_settings, clock=clock)
    router = chaos_router(core.settings, core.chaos, core.record_chaos)
    app = build_app([router], check_health=lambda: (200, {}), metrics=Metrics())
    server = BackgroundServer(app).start()
    try:
        yield ChaosBot(core, server.url, clock)
    finally:
        server.stop()
        core.close()
