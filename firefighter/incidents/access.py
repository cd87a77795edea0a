"""Who may do what: declare, and close, downgrade or reopen an incident.

User groups are resolved by a function the adapter provides (Slack user groups), called
before any transaction opens, so a lookup never holds a database lock.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from firefighter.incidents.errors import IncidentError
from firefighter.incidents.wording import listed

GroupMembers = Callable[[str], set[str]]


class Forbidden(IncidentError):
    """The user may not do this; the message says who may."""


@dataclass
class AccessPolicy:
    """Declarers (empty: everyone), admins, and whether only responders may close."""

    declarers: Sequence[str] = ()
    admins: Sequence[str] = ()
    closers: str = "responders"
    group_members: GroupMembers | None = None

    def _among(self, user: str, idents: Sequence[str]) -> bool:
        if user in idents:
            return True
        groups = [i for i in idents if i.startswith("S")]
        if not groups or self.group_members is None:
            return False
        return any(user in self.group_members(group) for group in groups)

    def check_declare(self, user: str | None) -> None:
        """Raise Forbidden unless `user` may declare incidents."""
        if user is None or not self.declarers or self._among(user, self.declarers):
            return
        raise Forbidden(
            "Only ",
            *listed(self.declarers),
            " may declare incidents here. Ask one of them to declare it, "
            "or ask a FireFighter admin to add you.",
        )

    def is_admin(self, user: str | None) -> bool:
        """Whether `user` is a configured admin (None, the system or an operator, counts)."""
        return user is None or self._among(user, self.admins)
