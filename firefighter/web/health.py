"""`/healthz`'s check: the database within a time limit, and the outbox's state."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from firefighter.observability import TimeBoxed, outbox_health

HEALTH_SECONDS = 0.8
"""How long `/healthz` waits for the database: an answer within 1 s whatever it does."""


def health_check(
    engine: Engine, factory: sessionmaker[Session], clock: Callable[[], datetime]
) -> Callable[[], tuple[int, dict[str, Any]]]:
    """`/healthz`'s check: 200 with the outbox's state when the database answers within
    HEALTH_SECONDS, 503 otherwise."""

    def read() -> dict[str, Any]:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return outbox_health(factory, clock)

    probe = TimeBoxed(read, HEALTH_SECONDS)

    def check() -> tuple[int, dict[str, Any]]:
        try:
            outbox = probe()
        except FutureTimeout:
            return 503, {
                "status": "unavailable",
                "database": f"no answer within {HEALTH_SECONDS:g} s",
            }
        except Exception as error:
            return 503, {"status": "unavailable", "database": str(error).splitlines()[0][:200]}
        return 200, {"status": "ok", "database": "ok", "outbox": outbox}

    return check
