"""What the PagerDuty emulator holds: users, on-call shifts, incidents."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class PdUser:
    """A PagerDuty user."""

    id: str
    name: str
    email: str


@dataclass
class OnCallEntry:
    """Someone on call for an escalation policy at a level, until a time."""

    policy: str
    user: str
    level: int
    start: datetime
    end: datetime


@dataclass
class PdIncident:
    """An incident opened by a trigger event."""

    id: str
    number: int
    routing_key: str
    dedup_key: str
    title: str
    severity: str
    status: str
    created_at: datetime
    level: int = 1
    triggers: int = 1
    links: list[dict[str, Any]] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
