"""The rules a command checks before it writes anything: names, limits and lifecycle answers.

Pure functions of what the user typed and of the configured severities and failure classes;
nothing here opens a session, so every refusal is decided without touching the database.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from firefighter.incidents import lifecycle
from firefighter.incidents.errors import InvalidInput, TransitionRefused
from firefighter.incidents.lifecycle import (
    CLOSED,
    MITIGATED,
    POSTMORTEM,
    ClosureReason,
    MoveContext,
)
from firefighter.incidents.models import TITLE_MAX, UPDATE_MAX
from firefighter.settings import DEFAULT_FAILURE_CLASSES, DEFAULT_SEVERITIES, Severity

ROLES: dict[str, str] = {
    "commander": "Incident commander",
    "communications": "Communications lead",
    "scribe": "Scribe",
}
ROLE_ALIASES = {"comms": "communications", "ic": "commander", "lead": "commander"}
MILESTONES = ("started", "detected")
CLOSURE_REASONS = [r.value for r in ClosureReason]
DESCRIPTION_MAX = 10_000

# A time a little ahead of the server's clock is a user's clock running fast, not a mistake.
_CLOCK_SKEW = timedelta(minutes=1)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(text: str | None) -> str:
    """User text without control characters (PostgreSQL refuses NUL; none is ever meant)."""
    return _CONTROL.sub("", text or "")


def normalise_role(role: str) -> str:
    """The canonical role name for what a user typed, or InvalidInput."""
    key = role.strip().lower()
    key = ROLE_ALIASES.get(key, key)
    if key not in ROLES:
        raise InvalidInput(f"Unknown role {role!r}. Roles are: commander, comms, scribe.")
    return key


def title(text: str) -> str:
    """An incident title on one line, or InvalidInput when it is empty or too long."""
    value = " ".join(clean(text).split())
    if not value:
        raise InvalidInput(
            "Give the incident a title: one line saying what is broken.", field="title"
        )
    if len(value) > TITLE_MAX:
        raise InvalidInput(
            f"The title is {len(value)} characters; keep it under {TITLE_MAX}.", field="title"
        )
    return value


def description(text: str) -> str:
    """An incident description as stored, or InvalidInput when it is too long."""
    value = clean(text)
    if len(value) > DESCRIPTION_MAX:
        raise InvalidInput(
            "The description is over 10,000 characters; shorten it.", field="description"
        )
    return value.strip()


def update_text(text: str) -> str:
    """The text of a status update, or InvalidInput when it is empty or too long."""
    value = clean(text).strip()
    if not value:
        raise InvalidInput("Write the update after the command: `update <what changed>`.")
    if len(value) > UPDATE_MAX:
        raise InvalidInput(f"The update is {len(value)} characters; keep it under {UPDATE_MAX}.")
    return value


def status(target: str) -> str:
    """The lifecycle state a user named, or InvalidInput listing the states."""
    value = (target or "").strip().lower()
    if not lifecycle.is_known(value):
        states = ", ".join(s.value for s in lifecycle.Status)
        raise InvalidInput(f"Unknown status {value!r}. Statuses are: {states}.")
    return value


def reopen_reason(reason: str, target: str) -> str:
    """The written reason of a reopen to `target`, or InvalidInput."""
    value = clean(reason)
    if not value.strip():
        raise InvalidInput("Say why you reopen it: `reopen <reason>`.")
    if target not in (lifecycle.INVESTIGATING, lifecycle.MITIGATING):
        raise InvalidInput("An incident reopens to investigating or mitigating.")
    return value


def closure_reason(reason: str | None, status: str) -> str | None:
    """The closure reason for closing from `status`; None leaves the lifecycle to refuse.

    Closing after mitigation needs no reason, so it is `resolved` unless one is given.
    """
    closure = (reason or "").strip().lower().replace(" ", "_") or None
    if closure is not None and closure not in CLOSURE_REASONS:
        raise InvalidInput(
            f"Unknown closure reason {reason!r}. Reasons are: {', '.join(CLOSURE_REASONS)}."
        )
    if closure is None and not lifecycle.can_close_early(status):
        closure = ClosureReason.RESOLVED.value
    return closure


def takes_alerts(*, drill: bool, status: str) -> bool:
    """Whether alerts may be attached to an incident: a real one that is not closed.

    A drill is an exercise: real alerts linked to it would vanish from the real figures.
    """
    return not drill and status != CLOSED


def check_takes_alerts(reference: str, *, drill: bool, status: str) -> None:
    """InvalidInput (about the `incident` picked) unless alerts may join that incident."""
    if drill:
        raise InvalidInput(
            f"{reference} is a drill; real alerts belong to a real incident: pick another.",
            field="incident",
        )
    if status == CLOSED:
        raise InvalidInput(f"{reference} is closed; pick an open incident.", field="incident")


def postmortem_starts(status: str) -> bool:
    """Whether asking for the post-mortem moves the incident into `postmortem` (a plain move of
    the lifecycle table) rather than exporting its page again."""
    return lifecycle.attempt(status, POSTMORTEM, MoveContext())


def check_exportable(reference: str, status: str) -> None:
    """InvalidInput unless the incident is mitigated or later: a post-mortem needs an end."""
    if lifecycle.is_active(status):
        raise InvalidInput(f"{reference} is {status}; write the post-mortem once it is mitigated.")


def not_in_future(label: str, at: datetime, now: datetime, *, field: str | None = None) -> None:
    """InvalidInput (about `field`) if `at` (the `label` time) is later than now."""
    if at > now + _CLOCK_SKEW:
        raise InvalidInput(f"The {label} time is in the future; give a past time.", field=field)


def impact_times(
    started_at: datetime | None, detected_at: datetime | None, now: datetime
) -> tuple[datetime, datetime]:
    """When the impact started and was detected, for an incident declared `now`.

    Detection defaults to now and the start to the detection, so both are always known.
    """
    given = (("impact start", "started_at", started_at), ("detection", "detected_at", detected_at))
    for label, field, value in given:
        if value is not None:
            not_in_future(label, value, now, field=field)
    detected = detected_at or now
    started = started_at or detected
    if started > detected:
        raise InvalidInput(
            "The impact cannot start after it was detected; check both times.", field="started_at"
        )
    return started, detected


def milestone(name: str, at: datetime) -> str:
    """The editable milestone a user named, or InvalidInput (also for a naive time)."""
    value = name.strip().lower()
    if value not in MILESTONES:
        raise InvalidInput("Only the started and detected milestones can be edited.")
    if at.tzinfo is None:
        raise InvalidInput("Give the time with a time zone.")
    return value


def milestones_in_order(
    started: datetime | None, detected: datetime | None, declared: datetime
) -> None:
    """InvalidInput unless the impact started before detection, and detection before declaring."""
    if started and detected and started > detected:
        raise InvalidInput("The impact cannot start after it was detected.")
    if detected and detected > declared:
        raise InvalidInput("Detection cannot come after the incident was declared.")


class Rules:
    """The rules that depend on configuration: severities, failure classes, components."""

    def __init__(
        self,
        severities: list[Severity] | None = None,
        failure_classes: list[str] | None = None,
        components: list[str] | None = None,
    ) -> None:
        self.severities = severities or list(DEFAULT_SEVERITIES)
        self.failure_classes = failure_classes or list(DEFAULT_FAILURE_CLASSES)
        # Empty: none configured, any name goes (as the alert rules' check reads it too).
        self.components = list(components or [])

    def component(self, name: str | None) -> str | None:
        """The component as stored (None for none), or InvalidInput when components are
        configured and `name` is not one of them."""
        value = clean(name).strip() or None
        if value is not None and self.components and value not in self.components:
            choices = ", ".join(self.components)
            raise InvalidInput(
                f"Unknown component {value!r}. Choose one of: {choices}.", field="component"
            )
        return value

    def severity(self, name: str) -> Severity:
        """The configured severity called `name`, or InvalidInput listing the choices."""
        wanted = (name or "").strip().upper()
        for severity in self.severities:
            if severity.name == wanted:
                return severity
        names = ", ".join(s.name for s in self.severities)
        raise InvalidInput(f"Unknown severity {name!r}. Choose one of {names}.", field="severity")

    def failure_class(self, name: str) -> str:
        """The configured failure class matching `name` (case-insensitive), or InvalidInput."""
        wanted = " ".join((name or "").split()).lower()
        for known in self.failure_classes:
            if known.lower() == wanted:
                return known
        choices = ", ".join(self.failure_classes)
        raise InvalidInput(f"Unknown failure class {name!r}. Choose one of: {choices}.")

    def rank(self, severity: str) -> int:
        """Position in the configured order, most severe first; unknown names rank last."""
        names = [s.name for s in self.severities]
        return names.index(severity) if severity in names else len(names)

    def downgrades(self, previous: str, new: str) -> bool:
        """Whether changing from `previous` to `new` makes the incident less severe."""
        return self.rank(new) > self.rank(previous)

    def postmortem_required(self, severity: str) -> bool:
        """Whether an incident of `severity` must go through `postmortem` before `closed`."""
        try:
            return self.severity(severity).postmortem_required
        except InvalidInput:
            return False

    def next_states(self, status: str, severity: str) -> list[str]:
        """The states an incident in `status` can move to now without extra input."""
        return lifecycle.next_states(status, postmortem_required=self.postmortem_required(severity))

    def check_move(
        self,
        reference: str,
        status: str,
        severity: str,
        target: str,
        reason: str | None,
        *,
        reopen: bool,
    ) -> tuple[str | None, bool]:
        """Allow a move from `status` to `target`: its closure reason and whether it reopens.

        Refuses with TransitionRefused (saying what the incident can do instead), or with
        InvalidInput for an unknown closure reason. `reopen` asks for a reopen explicitly.
        """
        if reopen and not lifecycle.reopen_targets(status):
            raise TransitionRefused(
                f"{reference} is {status}; only a mitigated incident can be reopened.",
                status=status,
                allowed=self.next_states(status, severity),
            )
        reopening = target in lifecycle.reopen_targets(status)
        closure = closure_reason(reason, status) if target == CLOSED else None
        context = MoveContext(
            postmortem_required=self.postmortem_required(severity),
            closure_reason=closure,
            reopen_reason=reason if reopening else None,
        )
        if status == target or not lifecycle.attempt(status, target, context):
            raise self.refusal(reference, status, severity, target)
        return closure, reopening

    def refusal(self, reference: str, status: str, severity: str, target: str) -> TransitionRefused:
        """The refusal of a move to `target`, saying what the incident can do instead."""
        allowed = self.next_states(status, severity)
        if target == CLOSED and status == MITIGATED and self.postmortem_required(severity):
            message = (
                f"{reference} is mitigated; a {severity} incident needs its post-mortem "
                "before it closes: move it to postmortem first."
            )
        elif target == CLOSED and lifecycle.can_close_early(status):
            message = (
                f"{reference} is {status}; to close it before it is mitigated, give a closure "
                f"reason: {', '.join(CLOSURE_REASONS)}."
            )
        elif status == CLOSED:
            message = f"{reference} is closed; it cannot change any more."
        else:
            options = " or ".join(allowed) if allowed else "nothing else"
            message = f"{reference} is {status}; it can move to {options}"
            if lifecycle.can_close_early(status):
                message += ", or be closed early with a reason"
            if lifecycle.reopen_targets(status):
                message += ", or be reopened with a written reason"
            message += "."
        return TransitionRefused(message, status=status, allowed=allowed)
