"""Effects added by the chaos and scheduled-drill work, each with its payload.

Kept in one module so they can join the typed effects (a frozen payload dataclass per kind,
naming its target system) in one move.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

GAMEDAY_ANNOUNCE = "gameday.announce"
"""Slack: tell a scheduled Game Day's teams it starts soon, or that it was skipped and why."""


@dataclass(frozen=True)
class GameDayAnnounce:
    """Payload of GAMEDAY_ANNOUNCE. Target: Slack (the Game Day channel)."""

    gameday_id: int
    starts_at: str
    skipped: str | None = None

    def as_payload(self) -> dict[str, Any]:
        """The outbox row's JSON."""
        return asdict(self)

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> GameDayAnnounce:
        """Read back an outbox row's JSON."""
        return cls(
            gameday_id=int(payload["gameday_id"]),
            starts_at=str(payload["starts_at"]),
            skipped=payload.get("skipped"),
        )
