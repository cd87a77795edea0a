"""Database plumbing: engines, sessions, UTC timestamps and migration checks."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, copy_context
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import DateTime, Engine, create_engine, event, inspect
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

T = TypeVar("T")

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite has no time zones, so values are normalised to UTC before they are written
    and tagged as UTC when they are read.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; FireFighter stores timezone-aware UTC times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of every table."""


def _sqlite_pragmas(busy_ms: int) -> Callable[[Any, Any], None]:
    def pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # WAL lets the worker read while a request writes; busy_timeout turns lock
        # contention into a short wait instead of an immediate "database is locked", and
        # a writer that never lets go into an error within the statement limit.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return pragmas


CONNECT_TIMEOUT = 2.0
STATEMENT_TIMEOUT = 5.0
"""Defaults of FIREFIGHTER_DB_CONNECT_TIMEOUT and FIREFIGHTER_DB_STATEMENT_TIMEOUT."""


def make_engine(
    url: str,
    *,
    connect_timeout: float | None = CONNECT_TIMEOUT,
    statement_timeout: float | None = STATEMENT_TIMEOUT,
    **kwargs: Any,
) -> Engine:
    """An engine for `url` whose every wait has a limit, SQLite tuned for a web process
    plus a worker.

    `connect_timeout` bounds opening a connection and waiting for one from the pool;
    `statement_timeout` bounds a statement (PostgreSQL's statement_timeout, SQLite's busy
    timeout). None means no limit (migrations, which may rewrite big tables).
    """
    if connect_timeout is not None and "poolclass" not in kwargs:
        kwargs.setdefault("pool_timeout", connect_timeout)
    if url.startswith("sqlite"):
        connect_args = kwargs.pop("connect_args", {})
        connect_args.setdefault("check_same_thread", False)
        if url in ("sqlite://", "sqlite:///:memory:"):
            kwargs.setdefault("poolclass", StaticPool)
            kwargs.pop("pool_timeout", None)
        busy = statement_timeout if statement_timeout is not None else 60.0
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas(int(busy * 1000)))
        return engine
    connect_args = kwargs.pop("connect_args", {})
    if connect_timeout is not None:
        # libpq counts whole seconds and treats 1 as 2.
        connect_args.setdefault("connect_timeout", max(2, math.ceil(connect_timeout)))
    if statement_timeout is not None:
        connect_args.setdefault("options", f"-c statement_timeout={int(statement_timeout * 1000)}")
    kwargs.setdefault("pool_pre_ping", True)
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 10)
    return create_engine(url, connect_args=connect_args, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory whose objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


_WRITE_LOCKS: WeakKeyDictionary[Engine, threading.Lock] = WeakKeyDictionary()
_LOCKS_GUARD = threading.Lock()


@contextmanager
def writing(session: Session) -> Iterator[None]:
    """Hold the process's write turn for a SQLite database (a no-op elsewhere).

    SQLite has one writer at a time; waiting for it in SQLite's busy handler means
    sleeping in growing steps, which shows as latency spikes under concurrent clicks.
    Queueing writers on a lock in the process hands the turn over at once instead.
    """
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    if engine.dialect.name != "sqlite":
        yield
        return
    with _LOCKS_GUARD:
        lock = _WRITE_LOCKS.setdefault(engine, threading.Lock())
    with lock:
        yield


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work that writes: commit on success, roll back on any error."""
    with factory() as session, writing(session), session.begin():
        yield session


class DatabaseUnavailable(Exception):
    """The database cannot be reached."""


class TimedOut(Exception):
    """Work on the database did not finish within its limit; it will not commit."""


_GIVEN_UP: ContextVar[threading.Event | None] = ContextVar("ff_given_up", default=None)


@event.listens_for(Session, "before_commit")
def _refuse_given_up(_session: Session) -> None:
    # The person was told "nothing was changed": work that wakes up after that rolls back.
    flag = _GIVEN_UP.get()
    if flag is not None and flag.is_set():
        raise TimedOut("the caller stopped waiting for this transaction")


def within(seconds: float, work: Callable[[], T]) -> T:
    """`work()` run on a thread of its own, given up after `seconds` (TimedOut).

    A stalled database (a partition: connections open, nothing answers) blocks a thread in
    a socket read that no database setting can interrupt; the caller waits here at most
    `seconds`, and a transaction the given-up work opened can no longer commit.
    """
    flag = threading.Event()
    context = copy_context()
    context.run(_GIVEN_UP.set, flag)
    done = threading.Event()
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append((True, context.run(work)))
        except BaseException as error:  # handed to the caller below
            outcome.append((False, error))
        finally:
            done.set()
            if flag.is_set():
                # Nobody reads it: drop the error now rather than keep its frames (and
                # the connection they hold) in a reference cycle until a garbage collection.
                outcome.clear()

    threading.Thread(target=run, name="within", daemon=True).start()
    if not done.wait(seconds):
        flag.set()
        raise TimedOut(f"no answer from the database within {seconds:g} s")
    ok, value = outcome.pop()
    if not ok:
        try:
            raise value
        finally:
            del value
    return value  # type: ignore[no-any-return]


def unavailable(error: BaseException) -> bool:
    """Whether `error` says the database did not answer (rather than the request being bad)."""
    if isinstance(
        error, TimedOut | DatabaseUnavailable | OperationalError | InterfaceError | PoolTimeout
    ):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


class NotMigrated(Exception):
    """The database schema is missing or behind the code."""


def alembic_config(url: str) -> Any:
    """An Alembic Config pointing at the packaged migrations and `url`."""
    import sys

    from alembic.config import Config

    # Alembic's default stream is bound when alembic is imported; use the current one.
    config = Config(stdout=sys.stdout)
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Run migrations up to `revision`."""
    from alembic import command

    try:
        command.upgrade(alembic_config(url), revision)
    except OperationalError as error:
        raise DatabaseUnavailable(_short(error)) from None


def head_revision() -> str:
    """The newest migration revision shipped with the code."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def check_ready(engine: Engine) -> None:
    """Raise DatabaseUnavailable or NotMigrated unless the schema is at head."""
    from alembic.runtime.migration import MigrationContext

    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                raise NotMigrated("the database has no tables yet")
            current = MigrationContext.configure(connection).get_current_revision()
    except OperationalError as error:
        raise DatabaseUnavailable(_short(error)) from None
    if current != head_revision():
        raise NotMigrated(
            f"the database is at revision {current}, the code needs {head_revision()}"
        )


def _short(error: OperationalError) -> str:
    return str(error.orig).strip().splitlines()[0] if error.orig else str(error).splitlines()[0]
