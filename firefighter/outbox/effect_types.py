"""Typed effects: each kind of side effect names the outside system it talks to, and its priority.

An effect is a small frozen dataclass (its payload) declared with its kind, its target and
its priority class:

    @dataclass(frozen=True)
    class OpenChannel(Effect, kind="incident.open_channel", target=SLACK, priority=PEOPLE):
        incident_id: int

`enqueue(session, OpenChannel(incident_id=7), incident_id=7)` stores the row with its target
and priority; the dispatcher keeps order per (incident, target), so an effect that keeps
failing (Jira answering 503) holds back only the effects of the same incident for the same
system, and claims the people-facing classes first. Declaring the dataclass registers the
kind: adding an effect is declaring one.
"""

from __future__ import annotations

import dataclasses
from enum import IntEnum
from typing import Any, ClassVar, Self

SLACK = "slack"
CONFLUENCE = "confluence"
"""Post-mortem and Game Day report publishing: Confluence, or files when it is not configured."""
JIRA = "jira"
FILES = "files"
INTERNAL = "internal"
"""Work on the database only (no outside system)."""


class Priority(IntEnum):
    """Claimed lowest first; within a class, the oldest due head of each lane first."""

    PEOPLE = 0
    """People in an incident are waiting for it: channel, announcement, redraws, updates."""
    RECORDS = 1
    """The incident's records elsewhere: post-mortem pages, Jira issues."""
    BACKGROUND = 2
    """Nobody waits on it to the second: triage cards, digests, reminders, Game Day boards."""


PEOPLE = Priority.PEOPLE
RECORDS = Priority.RECORDS
BACKGROUND = Priority.BACKGROUND


@dataclasses.dataclass(frozen=True)
class Lane:
    """Where a kind of effect waits: its target system, its priority, whether order matters."""

    target: str
    priority: Priority
    ordered: bool = True


_REGISTRY: dict[str, type[Effect]] = {}
DEFAULT_LANE = Lane(INTERNAL, Priority.RECORDS)
"""For a kind enqueued by name that no dataclass declares (kept in its incident's order)."""


class Effect:
    """Base of the typed effects; subclasses are frozen dataclasses of their payload."""

    kind: ClassVar[str]
    target: ClassVar[str]
    priority: ClassVar[Priority]
    ordered: ClassVar[bool]

    def __init_subclass__(
        cls,
        *,
        kind: str,
        target: str,
        priority: Priority,
        ordered: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        if kind in _REGISTRY and _REGISTRY[kind].__qualname__ != cls.__qualname__:
            raise ValueError(f"effect kind {kind!r} is declared twice")
        cls.kind, cls.target, cls.priority, cls.ordered = kind, target, priority, ordered
        _REGISTRY[kind] = cls

    def payload(self) -> dict[str, Any]:
        """The JSON payload stored on the outbox row."""
        return {
            field.name: getattr(self, field.name)
            for field in dataclasses.fields(self)  # type: ignore[arg-type]
        }

    @classmethod
    def parse(cls, payload: dict[str, Any]) -> Self:
        """The effect back from a stored payload (unknown keys ignored, as older rows may have)."""
        names = {field.name for field in dataclasses.fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: v for k, v in payload.items() if k in names})


def effect_type(kind: str) -> type[Effect] | None:
    """The dataclass declared for `kind`, if any."""
    return _REGISTRY.get(kind)


def lane_of(kind: str) -> Lane:
    """Target, priority and ordering of `kind`."""
    declared = _REGISTRY.get(kind)
    if declared is None:
        return DEFAULT_LANE
    return Lane(declared.target, declared.priority, declared.ordered)


def registered() -> dict[str, type[Effect]]:
    """Every declared kind and its dataclass."""
    return dict(_REGISTRY)
