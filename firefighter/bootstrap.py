"""The composition root: builds the engine, the service and the worker from settings."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from firefighter.db import check_ready, make_engine, make_session_factory, utcnow
from firefighter.incidents.access import AccessPolicy
from firefighter.incidents.service import IncidentService
from firefighter.outbox import Clock, Dispatcher
from firefighter.settings import Settings


@dataclass
class Core:
    """What every entry point needs: settings, database and the service."""

    settings: Settings
    engine: Engine
    factory: sessionmaker[Session]
    service: IncidentService

    def dispatcher(self, **kwargs: object) -> Dispatcher:
        """A dispatcher with no handlers yet; adapters register theirs."""
        kwargs.setdefault("lease_seconds", self.settings.outbox_lease_seconds)
        return Dispatcher(
            self.factory,
            clock=self.service.clock,
            max_attempts=self.settings.outbox_max_attempts,
            **kwargs,  # type: ignore[arg-type]
        )

    def close(self) -> None:
        """Release database connections."""
        self.engine.dispose()


def build_core(settings: Settings, *, clock: Clock = utcnow, check: bool = True) -> Core:
    """Connect to the database (checking it is migrated unless `check` is False)."""
    engine = make_engine(settings.database_url)
    if check:
        try:
            check_ready(engine)
        except Exception:
            engine.dispose()
            raise
    factory = make_session_factory(engine)
    service = IncidentService(
        factory,
        severities=settings.severities,
        clock=clock,
        failure_classes=settings.failure_classes,
        policy=AccessPolicy(
            declarers=settings.declarers, admins=settings.admins, closers=settings.closers
        ),
    )
    return Core(settings=settings, engine=engine, factory=factory, service=service)


def safe_url(url: str) -> str:
    """The database URL with any password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable DATABASE_URL>"
