"""Shared fixtures: a migrated database per test, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine, make_url, text

from firefighter.bootstrap import Core, build_core
from firefighter.db import upgrade
from firefighter.settings import Settings

PG_ADMIN_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() == "true"
# pytest-xdist's workers are given COLUMNS=80, which would fix the CLI's Rich console at 80
# columns when it is imported; the CLI tests give each invocation its own width.
os.environ.pop("COLUMNS", None)
# How long a Slack request may take before the bot answers with the outage sentence, in tests
# that are not about that deadline (tests/slack/test_outages.py keeps Slack's 2.5 s): a busy
# two-core CI machine running PostgreSQL is slow, not down.
SLACK_DEADLINE_S = 30.0


class FakeClock:
    """A clock tests move by hand; each reading advances it a little so times stay ordered."""

    def __init__(self, start: datetime | None = None, tick: timedelta = timedelta(0)) -> None:
        self.now = start or datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
        self.tick = tick

    def __call__(self) -> datetime:
        value = self.now
        self.now = self.now + self.tick
        return value

    def advance(self, **kwargs: float) -> None:
        """Move forward by timedelta(**kwargs)."""
        self.now = self.now + timedelta(**kwargs)


def _pg_error() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL)
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
    except Exception as error:
        return str(error).splitlines()[0]
    return None


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A private PostgreSQL database migrated once for this test run."""
    problem = _pg_error()
    if problem:
        message = f"PostgreSQL unreachable at {PG_ADMIN_URL}: {problem}"
        if IN_CI:
            pytest.fail(message + " (required when CI=true)")
        pytest.skip(message + " — PostgreSQL tests skipped (set TEST_DATABASE_URL)")
    name = f"ff_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database: a fresh SQLite file, or the run's PostgreSQL database."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "firefighter.db"
        shutil.copy(template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("pg_url")
    empty: Callable[[], None] = request.getfixturevalue("pg_empty")
    empty()
    return url


@pytest.fixture(scope="session")
def pg_empty(pg_url: str) -> Iterator[Callable[[], None]]:
    """Empties the run's PostgreSQL database and restarts its ids (INC-1 again).

    DELETE, children first, rather than TRUNCATE: on tables of a few rows it takes 10 ms where
    TRUNCATE takes 300 (it makes new files for every table), and this runs before every test.
    The tables are read from the migrated database, so a new one needs no list kept here.
    """
    engine = create_engine(pg_url)
    tables = MetaData()
    tables.reflect(engine)
    with engine.connect() as connection:
        sequences = list(connection.scalars(text("SELECT sequencename FROM pg_sequences")))
    statements = [
        *(f'DELETE FROM "{t.name}"' for t in reversed(tables.sorted_tables)),
        *(f'ALTER SEQUENCE "{name}" RESTART' for name in sequences),
    ]
    statements = [s for s in statements if "alembic_version" not in s]

    def empty() -> None:
        with engine.begin() as connection:
            connection.execute(text(";".join(statements)))

    yield empty
    engine.dispose()


@pytest.fixture
def clock() -> FakeClock:
    """A frozen clock that ticks one second per reading."""
    return FakeClock(tick=timedelta(seconds=1))


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """Settings for a test, isolated from the developer's environment."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=db_url,
        postmortem_dir=tmp_path / "postmortems",
        # Tests play dozens of incidents in seconds on an emulator without tiers; the pace
        # itself is tested on its own and measured by bench/burst.py.
        slack_pacing=False,
    )


@pytest.fixture
def core(settings: Settings, clock: FakeClock) -> Iterator[Core]:
    """Database, service and settings wired as in production, with the fake clock."""
    built = build_core(settings, clock=clock)
    yield built
    built.close()
