"""Who may do what to an incident: the one table every surface asks.

The table maps each action to the standings that allow it. A person's standing towards an
incident is worked out from its roles, its membership (channel members, declarer, role
holders) and its privacy, and from the configured admins. The service asks `authorize`
inside the transaction that changes the incident, so Slack commands, buttons, forms,
shortcuts, App Home, the CLI and any later API get the same answer.

Someone who may not see a private incident is told exactly what they would be told about
an incident that does not exist, so a refusal never confirms that a private one exists.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from firefighter.incidents.access import Forbidden
from firefighter.incidents.errors import NotFound
from firefighter.incidents.wording import Command, Person, Words, listed


class Action(StrEnum):
    """Everything a person can do to incidents."""

    SEE = "see"
    DECLARE = "declare"
    MOVE = "move"
    UPDATE = "update"
    RAISE_SEVERITY = "raise severity"
    LOWER_SEVERITY = "lower severity"
    ASSIGN_ROLE = "assign a role"
    TAKE_FREE_ROLE = "take a free role"
    TAKE_OVER_COMMAND = "take over command"
    CLOSE = "close"
    REOPEN = "reopen"
    ADD_FOLLOWUP = "add follow-ups"
    ATTACH_ALERT = "attach alerts"
    EXPORT = "export"
    PAGE = "page"
    FREEZE = "freeze"


class Standing(StrEnum):
    """What a person is to an incident, most trusted first."""

    ADMIN = "admin"
    COMMANDER = "commander"
    ROLE_HOLDER = "role holder"
    MEMBER = "member"  # in the channel (or declared it) without a role
    VIEWER = "viewer"  # not a member, but the incident is public


_RESPONDERS = frozenset({Standing.ADMIN, Standing.COMMANDER, Standing.ROLE_HOLDER})
_IN_THE_CHANNEL = _RESPONDERS | {Standing.MEMBER}
_EVERYONE_WHO_SEES = frozenset(Standing)

# Public incidents: a viewer may do what "everyone who sees it" may. Private incidents have no
# viewers: a non-member does not see them, so every action is refused as if there were none.
TABLE: dict[Action, frozenset[Standing]] = {
    Action.SEE: _EVERYONE_WHO_SEES,
    Action.DECLARE: _EVERYONE_WHO_SEES,  # narrowed by FIREFIGHTER_DECLARERS
    Action.MOVE: _EVERYONE_WHO_SEES,
    Action.UPDATE: _EVERYONE_WHO_SEES,
    Action.RAISE_SEVERITY: _EVERYONE_WHO_SEES,
    Action.LOWER_SEVERITY: _RESPONDERS,
    Action.ASSIGN_ROLE: _RESPONDERS,
    Action.TAKE_FREE_ROLE: _EVERYONE_WHO_SEES,
    Action.TAKE_OVER_COMMAND: frozenset({Standing.ADMIN, Standing.COMMANDER}),
    Action.CLOSE: _RESPONDERS,  # everyone who sees it with FIREFIGHTER_CLOSERS=anyone
    Action.REOPEN: _RESPONDERS,  # likewise
    Action.ADD_FOLLOWUP: _EVERYONE_WHO_SEES,
    Action.ATTACH_ALERT: _EVERYONE_WHO_SEES,
    Action.EXPORT: _EVERYONE_WHO_SEES,
    Action.PAGE: _IN_THE_CHANNEL,
    Action.FREEZE: _RESPONDERS,  # of a real (not drill) active incident; see `may_freeze`
}

_RELAXED_BY_CLOSERS = frozenset({Action.CLOSE, Action.REOPEN})


@dataclass(frozen=True)
class Facts:
    """What the table needs to know about an incident, read in the deciding transaction."""

    incident_id: int
    private: bool
    commander: str | None
    holders: tuple[str, ...]  # in the order the roles were given
    members: frozenset[str]

    @property
    def reference(self) -> str:
        """`INC-<id>`."""
        return f"INC-{self.incident_id}"


def standing(user: str | None, facts: Facts, *, admin: bool) -> Standing | None:
    """The user's standing towards the incident; None if they may not even see it.

    A user of None is the system or an operator at the command line: treated as an admin.
    """
    if user is None or admin:
        return Standing.ADMIN
    if facts.commander == user:
        return Standing.COMMANDER
    if user in facts.holders:
        return Standing.ROLE_HOLDER
    if user in facts.members:
        return Standing.MEMBER
    return None if facts.private else Standing.VIEWER


def not_found(incident_id: int) -> NotFound:
    """The refusal for an incident that does not exist, or that the user may not see."""
    return NotFound(f"There is no incident INC-{incident_id}.")


def allowed(
    action: Action, user: str | None, facts: Facts, *, admin: bool, closers: str = "responders"
) -> bool:
    """Whether `user` may do `action` to the incident (no exception, for drawing buttons)."""
    place = standing(user, facts, admin=admin)
    if place is None:
        return False
    if action in _RELAXED_BY_CLOSERS and closers == "anyone":
        return True
    return place in TABLE[action]


def authorize(
    action: Action,
    user: str | None,
    facts: Facts,
    *,
    admin: bool,
    admins: Iterable[str] = (),
    closers: str = "responders",
) -> None:
    """Raise NotFound if the user may not see the incident, Forbidden if they may not act."""
    if standing(user, facts, admin=admin) is None:
        raise not_found(facts.incident_id)
    if allowed(action, user, facts, admin=admin, closers=closers):
        return
    raise Forbidden(*refusal(action, facts, list(admins)))


def refusal(action: Action, facts: Facts, admins: list[str]) -> Words:
    """One sentence: who may do it, and how to ask them."""
    admin_text = _or_an_admin(admins)
    ref = facts.reference
    if action is Action.TAKE_OVER_COMMAND:
        commander: Words = (Person(facts.commander),) if facts.commander else ("the commander",)
        return (
            *commander,
            f" is the commander of {ref}; only they",
            *admin_text,
            " can hand command over. Ask them to run ",
            Command("role commander @you"),
            " in the incident channel.",
        )
    what = {
        Action.LOWER_SEVERITY: "downgrade",
        Action.ASSIGN_ROLE: "give roles in",
        Action.CLOSE: "close",
        Action.REOPEN: "reopen",
        Action.FREEZE: "freeze changes for",
        Action.PAGE: "page people for",
    }.get(action, str(action) + " on")
    who: Words = (
        "the people holding its roles (",
        *listed(facts.holders, "nobody yet"),
        ")",
    )
    if action is Action.PAGE:
        who = ("the people in its channel",)
    return ("Only ", *who, *admin_text, f" may {what} {ref}.")


def _or_an_admin(admins: list[str]) -> Words:
    return (" or an admin (", *listed(admins), ")") if admins else ()


def freeze_refusal(admins: list[str], what: str = "freeze changes") -> Words:
    """Why someone without a role in a real incident may not freeze changes (or `what`)."""
    return (
        "Only the people holding a role in an active incident (not a drill)",
        *_or_an_admin(admins),
        f" may {what}; ask one of them.",
    )


def may_freeze(user: str | None, *, admin: bool, holds_a_role_in_a_real_incident: bool) -> bool:
    """FREEZE is not about one incident: an admin, or someone holding a role in an active
    incident that is not a drill (the people who need calm while they fix it)."""
    return user is None or admin or holds_a_role_in_a_real_incident
