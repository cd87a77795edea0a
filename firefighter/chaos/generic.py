"""A small JSON for any other tool (Gremlin, a script), as DESIGN pins it:

    {"experiment": "kill-one-pod", "component": "payments", "weight": 5,
     "verdict": "pass", "probe_success": 100, "at": "2026-12-07T10:00:00Z"}

or a list of those. `at` (when the run ended) is optional: the time of receipt otherwise.
With `at`, the same experiment on the same component at the same time is recorded once.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter

from firefighter.chaos.common import record
from firefighter.incidents.chaos import ChaosRecord

SOURCE = "generic"
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class GenericResult(BaseModel):
    """One finished run."""

    model_config = ConfigDict(extra="forbid")

    experiment: Name
    component: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    weight: int = Field(ge=0, le=10, strict=True)
    verdict: Literal["pass", "fail", "stopped"]
    probe_success: float = Field(ge=0, le=100)
    at: datetime | None = None


_BODY: TypeAdapter[GenericResult | list[GenericResult]] = TypeAdapter(
    GenericResult | Annotated[list[GenericResult], Field(min_length=1, max_length=1000)]
)


def parse(data: Any, _query: Mapping[str, str], now: datetime) -> list[ChaosRecord]:
    """Validate the body; pydantic's ValidationError names what does not parse."""
    body = _BODY.validate_python(data)
    results = body if isinstance(body, list) else [body]
    found = []
    for result in results:
        at = result.at or now
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        # No `at`: nothing tells two posts of the same run apart, so each post is a run.
        key = at.isoformat() if result.at else uuid.uuid4().hex
        found.append(
            record(
                source=SOURCE,
                run_key=f"{SOURCE}:{result.experiment}:{result.component}:{key}",
                experiment=result.experiment,
                component=result.component,
                weight=result.weight,
                verdict=result.verdict,
                probe_success=result.probe_success,
                at=at,
            )
        )
    return found
