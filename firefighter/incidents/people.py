"""People by name: a cache of Slack users' names, filled through a lookup the root injects.

The core knows nothing of Slack: `lookup` is any function from a user id to a `Profile`
(the Slack adapter's calls `users.info`). Without a lookup, names come from the cache alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from firefighter.db import transaction, utcnow
from firefighter.incidents.conversation_models import Person
from firefighter.incidents.unit_of_work import Clock

log = logging.getLogger(__name__)

REFRESH_AFTER = timedelta(days=1)
"""A cached name older than this is asked again (names change rarely; Slack rate-limits)."""


@dataclass(frozen=True)
class Profile:
    """What the workspace says about a user."""

    display_name: str
    real_name: str = ""
    deleted: bool = False

    @property
    def name(self) -> str:
        """The name people see in Slack: the display name, else the real name."""
        return (self.display_name or self.real_name).strip()


Lookup = Callable[[str], Profile | None]


class People:
    """Names of Slack users, from the `users` table, refreshed through `lookup`."""

    def __init__(
        self, factory: sessionmaker[Session], clock: Clock = utcnow, lookup: Lookup | None = None
    ) -> None:
        self.factory = factory
        self.clock = clock
        self.lookup = lookup

    def names(self, user_ids: Iterable[str]) -> dict[str, str]:
        """{user id: name} for the ids we can name; unknown ids are left out."""
        wanted = sorted({u for u in user_ids if u})
        if not wanted:
            return {}
        with self.factory() as session:
            rows = {
                p.user_id: (p.name, p.real_name, p.deleted, p.refreshed_at)
                for p in session.scalars(select(Person).where(Person.user_id.in_(wanted)))
            }
        now = self.clock()
        fresh: dict[str, Profile] = {}
        if self.lookup is not None:
            for user_id in wanted:
                row = rows.get(user_id)
                if row is not None and now - row[3] < REFRESH_AFTER:
                    continue
                try:
                    profile = self.lookup(user_id)
                except Exception as error:  # a slow or failing Slack must not stop a page
                    log.warning("could not look up %s: %s", user_id, error)
                    continue
                if profile is not None:
                    fresh[user_id] = profile
        names = {user_id: row[0] for user_id, row in rows.items() if row[0]}
        for user_id, profile in fresh.items():
            name = profile.name
            if profile.deleted and names.get(user_id):
                # A deleted account keeps the name people knew it by.
                name = names[user_id]
            if name:
                names[user_id] = name
            self._store(user_id, name or names.get(user_id, ""), profile, now)
        return names

    def _store(self, user_id: str, name: str, profile: Profile, now: datetime) -> None:
        try:
            with transaction(self.factory) as session:
                person = session.get(Person, user_id)
                if person is None:
                    person = Person(user_id=user_id)
                    session.add(person)
                person.name = name[:200]
                person.real_name = (profile.real_name or "")[:200]
                person.deleted = profile.deleted
                person.refreshed_at = now
        except IntegrityError:
            # Another worker stored the same person a moment ago: its row is as good.
            return
