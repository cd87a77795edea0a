"""API tokens: created once (the token shown only then), stored as SHA-256, listed, revoked."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from firefighter.db import transaction
from firefighter.web.api.models import ApiToken

PREFIX = "ff_"
NAME_MAX = 64


class TokenError(ValueError):
    """A token command that cannot be done; the message says why."""


@dataclass(frozen=True)
class Caller:
    """Who calls the API: the actor its actions are recorded under, and what it may do.

    A token acts as an integration (`person` None): public incidents only. A console session
    (filled by the sign-in's `current_person` hook) is a Slack user: `person` is its id.
    """

    actor: str
    read_only: bool = False
    person: str | None = None


def digest(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def create(
    factory: sessionmaker[Session], name: str, *, read_only: bool, now: datetime
) -> tuple[ApiToken, str]:
    """A new token named `name`; (its row, the token itself, which is never stored)."""
    name = name.strip()
    if not name or len(name) > NAME_MAX or not all(c.isalnum() or c in "-_." for c in name):
        raise TokenError(
            f"token names are 1 to {NAME_MAX} letters, digits, '-', '_' or '.'; e.g. deploy-bot."
        )
    token = PREFIX + secrets.token_urlsafe(32)
    with transaction(factory) as session:
        if session.scalar(select(ApiToken).where(ApiToken.name == name)) is not None:
            raise TokenError(f"a token named {name!r} exists; revoke it or choose another name.")
        row = ApiToken(name=name, token_sha256=digest(token), read_only=read_only, created_at=now)
        session.add(row)
        session.flush()
        session.expunge(row)
    return row, token


def listed(factory: sessionmaker[Session]) -> list[ApiToken]:
    """Every token, oldest first (revoked ones too, with when)."""
    with factory() as session:
        rows = list(session.scalars(select(ApiToken).order_by(ApiToken.id)))
        session.expunge_all()
    return rows


def revoke(factory: sessionmaker[Session], name: str, *, now: datetime) -> None:
    """Revoke the token named `name`; TokenError if there is none in use."""
    with transaction(factory) as session:
        row = session.scalar(select(ApiToken).where(ApiToken.name == name))
        if row is None or row.revoked_at is not None:
            raise TokenError(f"no token named {name!r} is in use; `api-token list` shows them.")
        row.revoked_at = now


def authenticate(factory: sessionmaker[Session], authorization: str | None) -> Caller | None:
    """The caller an `Authorization: Bearer <token>` header names, or None."""
    scheme, _, given = (authorization or "").strip().partition(" ")
    given = given.strip()
    if scheme.lower() != "bearer" or not given.startswith(PREFIX) or len(given) > 200:
        return None
    wanted = digest(given)
    # Read only: a request does not write to find out who it is.
    with factory() as session:
        row = session.scalar(select(ApiToken).where(ApiToken.token_sha256 == wanted))
        # The lookup is by hash; compare again in constant time all the same.
        if row is None or row.revoked_at is not None:
            return None
        if not hmac.compare_digest(row.token_sha256, wanted):
            return None
        return Caller(actor=row.name, read_only=row.read_only)
