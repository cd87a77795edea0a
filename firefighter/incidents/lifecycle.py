"""The incident lifecycle: one table of every allowed move, read directly.

The README's diagram is drawn from the same rows, and the states that close early, reopen or
count as active are read off them. The table is the machine: a move is allowed when a row
leads there and its guard holds; the service then does the move's bookkeeping in the same
transaction (see `IncidentService._move`). The `transitions` library once ran this table,
but only to answer that question, so it was a second copy of the rules with no callbacks.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


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

# The guards. Each reads the context of one attempted move.
NEEDS_REASON = "has_closure_reason"
NEEDS_NO_POSTMORTEM = "postmortem_not_required"
NEEDS_REOPEN_REASON = "has_reopen_reason"


@dataclass(frozen=True)
class Move:
    """A row of the lifecycle table."""

    sources: tuple[str, ...]
    dest: str
    guard: str | None = None
    note: str = ""


LIFECYCLE: tuple[Move, ...] = (
    Move((OPEN,), INVESTIGATING),
    Move((OPEN, INVESTIGATING), MITIGATING),
    Move((OPEN, INVESTIGATING, MITIGATING), MITIGATED),
    Move((MITIGATED,), POSTMORTEM),
    Move((POSTMORTEM,), CLOSED),
    Move((MITIGATED,), CLOSED, NEEDS_NO_POSTMORTEM, "severity needs no post-mortem"),
    Move((OPEN, INVESTIGATING), CLOSED, NEEDS_REASON, "early close, with a reason"),
    Move((MITIGATED,), INVESTIGATING, NEEDS_REOPEN_REASON, "reopen, with a reason"),
    Move((MITIGATED,), MITIGATING, NEEDS_REOPEN_REASON, "reopen, with a reason"),
)


@dataclass(frozen=True)
class MoveContext:
    """What the guards need to know about one attempted move."""

    postmortem_required: bool = False
    closure_reason: str | None = None
    reopen_reason: str | None = None


_REASONS = frozenset(r.value for r in ClosureReason)


def _guard_holds(guard: str | None, context: MoveContext) -> bool:
    if guard is None:
        return True
    if guard == NEEDS_REASON:
        return context.closure_reason in _REASONS
    if guard == NEEDS_NO_POSTMORTEM:
        return not context.postmortem_required
    return bool(context.reopen_reason and context.reopen_reason.strip())


def attempt(status: str, target: str, context: MoveContext) -> bool:
    """True if a row of the table leads from `status` to `target` and its guard holds."""
    return any(
        status in move.sources and move.dest == target and _guard_holds(move.guard, context)
        for move in LIFECYCLE
    )


def _sources(dest: str, guard: str | None) -> frozenset[str]:
    return frozenset(
        source
        for move in LIFECYCLE
        if move.dest == dest and move.guard == guard
        for source in move.sources
    )


# Read off the table, so that adding a row changes them too.
EARLY_CLOSE = _sources(CLOSED, NEEDS_REASON)
"""The states that may close before mitigation, with a closure reason."""
ACTIVE = tuple(s.value for s in Status if s.value in _sources(MITIGATED, None))
"""Not yet mitigated: every state with a plain move into mitigated."""


def next_states(status: str, *, postmortem_required: bool) -> list[str]:
    """States reachable now without extra input (the buttons Slack draws), in order."""
    plain = MoveContext(postmortem_required=postmortem_required)
    return [s.value for s in Status if s.value != status and attempt(status, s.value, plain)]


def reopen_targets(status: str) -> list[str]:
    """States a reopen (with a written reason) can lead to from `status`, in order."""
    return [
        move.dest
        for move in LIFECYCLE
        if move.guard == NEEDS_REOPEN_REASON and status in move.sources
    ]


def can_close_early(status: str) -> bool:
    """Whether `status` may close with a closure reason before mitigation."""
    return status in EARLY_CLOSE


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
