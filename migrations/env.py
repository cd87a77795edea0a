"""Alembic environment: runs the migrations against the URL the caller configured."""

from __future__ import annotations

from alembic import context
from sqlalchemy import pool

# Each models module registers its tables on Base.metadata; autogenerate and `alembic check`
# see only the tables imported here.
import firefighter.gameday.models
import firefighter.incidents.alert_models
import firefighter.incidents.chaos_models
import firefighter.incidents.conversation_models
import firefighter.incidents.followup_models
import firefighter.incidents.models
import firefighter.incidents.paging_models
import firefighter.outbox.models
import firefighter.web.api.models  # noqa: F401
from firefighter.db import Base, make_engine

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    """Emit SQL without a connection."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run against a live database."""
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None
    engine = make_engine(url, poolclass=pool.NullPool, statement_timeout=None)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
