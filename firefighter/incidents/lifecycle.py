"""The incident lifecycle as a `transitions` state machine.

One table holds every allowed move; the README's diagram is drawn from the same rows.
Triggers are named after the state they lead to, so "move to mitigated" is `mitigated`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any

from transitions import EventData, Machine, MachineError


class Status(StrEnum):
    """The states of an incident, in lifecycle order."""

    OPEN = "open"
    INVESTIGATING = "investigating"
    MITIGATING = "mitigating"
    MITIGATED = "mitigated"
    POSTMORTEM = "postmortem"
    CLOSED = "closed"


class ClosureReason(StrEnum):
    """Why an incident was closed; required to close before mitigation."""

    RESOLVED = "resolved"
    DUPLICATE = "duplicate"
    FALSE_POSITIVE = "false_positive"
    SUPERSEDED = "superseded"
    EXTERNAL = "external"
    CANCELLED = "cancelled"


OPEN, INVESTIGATING, MITIGATING, MITIGATED, POSTMORTEM, CLOSED = (s.value for s in Status)
ACTIVE = (OPEN, INVESTIGATING, MITIGATING)

# The guards. Each reads the context of one attempted move.
NEEDS_REASON = "has_closure_reason"
NEEDS_NO_POSTMORTEM = "postmortem_not_required"
NEEDS_REOPEN_REASON = "has_reopen_reason"


@dataclass(frozen=True)
class Move:
    """A row of the lifecycle table."""

    trigger: str
    sources: tuple[str, ...]
    dest: str
    guard: str | None = None
    note: str = ""


LIFECYCLE: tuple[Move, ...] = (
    Move(INVESTIGATING, (OPEN,), INVESTIGATING),
    Move(MITIGATING, (OPEN, INVESTIGATING), MITIGATING),
    Move(MITIGATED, (OPEN, INVESTIGATING, MITIGATING), MITIGATED),
    Move(POSTMORTEM, (MITIGATED,), POSTMORTEM),
    Move(CLOSED, (POSTMORTEM,), CLOSED),
    Move(CLOSED, (MITIGATED,), CLOSED, NEEDS_NO_POSTMORTEM, "severity needs no post-mortem"),
    Move(CLOSED, (OPEN, INVESTIGATING), CLOSED, NEEDS_REASON, "early close, with a reason"),
    Move(INVESTIGATING, (MITIGATED,), INVESTIGATING, NEEDS_REOPEN_REASON, "reopen, with a reason"),
    Move(MITIGATING, (MITIGATED,), MITIGATING, NEEDS_REOPEN_REASON, "reopen, with a reason"),
)


@dataclass(frozen=True)
class MoveContext:
    """What the guards need to know about one attempted move."""

    postmortem_required: bool = False
    closure_reason: str | None = None
    reopen_reason: str | None = None


class _Subject:
    """The model object the machine moves; the guards are its methods."""

    state: str

    def __init__(self, context: MoveContext) -> None:
        self.context = context

    def has_closure_reason(self, event: EventData) -> bool:
        return self.context.closure_reason in {r.value for r in ClosureReason}

    def postmortem_not_required(self, event: EventData) -> bool:
        return not self.context.postmortem_required

    def has_reopen_reason(self, event: EventData) -> bool:
        return bool(self.context.reopen_reason and self.context.reopen_reason.strip())


def _machine(subject: _Subject, initial: str) -> Machine:
    transitions: list[dict[str, Any]] = [
        {
            "trigger": move.trigger,
            "source": list(move.sources),
            "dest": move.dest,
            "conditions": [move.guard] if move.guard else [],
        }
        for move in LIFECYCLE
    ]
    return Machine(
        model=subject,
        states=[s.value for s in Status],
        transitions=transitions,
        initial=initial,
        auto_transitions=False,
        send_event=True,
        ignore_invalid_triggers=False,
    )


def attempt(status: str, target: str, context: MoveContext) -> bool:
    """Run the machine: True if the move is allowed, False if it is not."""
    # The guards only look at three facts, so the answer is cached on those facts:
    # building a Machine costs far more than a request's other work.
    return _attempt(
        status,
        target,
        context.postmortem_required,
        context.closure_reason in {r.value for r in ClosureReason},
        bool(context.reopen_reason and context.reopen_reason.strip()),
    )


@lru_cache(maxsize=512)
def _attempt(
    status: str, target: str, postmortem_required: bool, closure_reason: bool, reopen_reason: bool
) -> bool:
    subject = _Subject(
        MoveContext(
            postmortem_required=postmortem_required,
            closure_reason=ClosureReason.RESOLVED.value if closure_reason else None,
            reopen_reason="reason" if reopen_reason else None,
        )
    )
    _machine(subject, status)
    try:
        moved = bool(subject.trigger(target))  # type: ignore[attr-defined]
    except (MachineError, AttributeError):
        # MachineError: no move from this state; AttributeError: no move into it at all.
        return False
    return moved and subject.state == target


def next_states(status: str, *, postmortem_required: bool) -> list[str]:
    """States reachable now without extra input (the buttons Slack draws), in order."""
    plain = MoveContext(postmortem_required=postmortem_required)
    return [s.value for s in Status if s.value != status and attempt(status, s.value, plain)]


def reopen_targets(status: str) -> list[str]:
    """States a reopen (with a written reason) can lead to from `status`."""
    context = MoveContext(reopen_reason="reason")
    return [
        target
        for target in (INVESTIGATING, MITIGATING)
        if status == MITIGATED and attempt(status, target, context)
    ]


def can_close_early(status: str) -> bool:
    """Whether `status` may close with a closure reason before mitigation."""
    return status in (OPEN, INVESTIGATING)


def is_active(status: str) -> bool:
    """Not yet mitigated."""
    return status in ACTIVE


def is_known(status: str) -> bool:
    """Whether `status` names a lifecycle state."""
    return status in {s.value for s in Status}


def mermaid() -> str:
    """The lifecycle drawn as a Mermaid state diagram, from the same table."""
    lines = ["stateDiagram-v2", "    [*] --> open"]
    for move in LIFECYCLE:
        for source in move.sources:
            label = f" : {move.note}" if move.note else ""
            lines.append(f"    {source} --> {move.dest}{label}")
    lines.append("    closed --> [*]")
    return "\n".join(lines)
