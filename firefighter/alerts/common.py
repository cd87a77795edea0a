"""What the source parsers share: a lenient base model and readable labels."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from firefighter.text import truncate


class Payload(BaseModel):
    """A vendor's payload: fields we do not use are allowed, they change between versions."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


def first(*values: Any) -> str:
    """The first value that is a non-empty string, stripped; empty if none."""
    for value in values:
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())
    return ""


def short(text: str, limit: int = 200) -> str:
    """One line of at most `limit` characters."""
    return truncate(" ".join(text.split()), limit)
