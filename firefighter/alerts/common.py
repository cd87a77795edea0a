"""What the source parsers share: a lenient base model and readable labels."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict

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


# Alert times outside this window are a sender's bug (or an attack on the database, which
# cannot store some of them): refused with a 400 naming the field, never retried.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def _in_window(value: datetime) -> datetime:
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    if not EARLIEST <= aware < LATEST:
        raise ValueError("a time between 1970 and 2100 is expected")
    return value


def _end_in_window(value: datetime) -> datetime:
    # Alertmanager and Grafana send 0001-01-01T00:00:00Z as "not ended yet".
    return value if value.year == 1 else _in_window(value)


Timestamp = Annotated[datetime, AfterValidator(_in_window)]
EndTimestamp = Annotated[datetime, AfterValidator(_end_in_window)]


def scrub(data: Any) -> Any:
    """JSON with control characters (NUL first: PostgreSQL cannot store it) removed from every
    string, keys included; newlines and tabs stay."""
    if isinstance(data, str):
        return _CONTROL.sub("", data)
    if isinstance(data, list):
        return [scrub(item) for item in data]
    if isinstance(data, dict):
        return {scrub(key): scrub(value) for key, value in data.items()}
    return data


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
