"""Slack channel names for incidents: `inc-<yyyymmdd>-<id>-<slug>`, within Slack's rules."""

from __future__ import annotations

from datetime import datetime

from firefighter.text import slugify

CHANNEL_NAME_MAX = 80


def channel_name(incident_id: int, declared: datetime, title: str, *, prefix: str = "inc") -> str:
    """`inc-<yyyymmdd>-<id>-<slug>`, within Slack's 80 characters and allowed characters."""
    base = f"{prefix}-{declared:%Y%m%d}-{incident_id}"
    slug = slugify(title)
    if not slug:
        return base
    room = CHANNEL_NAME_MAX - len(base) - 1 - 3  # keep space for a "-NN" name_taken suffix
    slug = slug[:room].rstrip("-")
    return f"{base}-{slug}" if slug else base


def with_suffix(name: str, attempt: int) -> str:
    """The `attempt`-th alternative name after `name_taken`: name-2, name-3, …"""
    suffix = f"-{attempt}"
    return name[: CHANNEL_NAME_MAX - len(suffix)].rstrip("-") + suffix
