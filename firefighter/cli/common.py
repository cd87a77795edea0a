"""What every command shares: the consoles, one-line failures, and a checked core."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.markup import escape

from firefighter.bootstrap import Core, build_core, safe_url
from firefighter.db import DatabaseUnavailable, NotMigrated
from firefighter.incidents.errors import IncidentError, InvalidInput
from firefighter.incidents.queries import parse_reference
from firefighter.incidents.wording import fill
from firefighter.settings import ConfigError, Settings, load_settings

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print one line on stderr and return the exit to raise."""
    err.print(f"[bold red]error:[/] {message}", highlight=False, markup=True)
    return typer.Exit(code)


def _settings_or_default() -> Settings:
    try:
        return load_settings()
    except ConfigError:
        return Settings.model_construct()


@contextmanager
def handled() -> Iterator[None]:
    """Turn the errors a user can fix into one clear line and a non-zero exit."""
    try:
        yield
    except ConfigError as error:
        raise fail(f"configuration: {error}", 2) from None
    except DatabaseUnavailable as error:
        url = safe_url(_settings_or_default().database_url)
        raise fail(f"cannot reach the database at {url}: {error}. Check DATABASE_URL.") from None
    except NotMigrated as error:
        raise fail(f"{error}; run `firefighter db upgrade` first.") from None
    except InvalidInput as error:
        # A value typed on the command line: a usage error, as click's own (exit code 2).
        raise fail(said(error), 2) from None
    except IncidentError as error:
        raise fail(said(error)) from None


def said(error: IncidentError) -> str:
    """A refusal of the core for a terminal: people by id, Slack commands as configured."""
    command = _settings_or_default().command
    return fill(error.words, lambda ident: "@" + ident, lambda typed: f"`{command} {typed}`")


def reference(text: str) -> int:
    """An incident reference (`12`, `INC-12`) as its id, or a one-line refusal (exit code 2)."""
    try:
        return parse_reference(text)
    except InvalidInput as error:
        raise fail(str(error), 2) from None


@contextmanager
def core() -> Iterator[Core]:
    """Settings and a checked database connection, released at the end; errors as `handled`."""
    with handled():
        opened = build_core(load_settings())
        try:
            yield opened
        finally:
            opened.close()


def person_namer(opened: Core, user_ids: Iterable[str | None]) -> Callable[[str | None], str]:
    """Who a table row names: the cached name of a Slack user, its id when Slack never named
    it, `-` for nobody; escaped for Rich, since a name is text its owner chose.

    Tables are for people (JSON keeps the ids DESIGN fixes). The command asks the users cache
    only: a listing should not wait on Slack, and the bot refreshes the cache as it works.
    """
    names = opened.people.names(u for u in user_ids if u)

    def name(user_id: str | None) -> str:
        return escape(names.get(user_id) or user_id) if user_id else "-"

    return name
