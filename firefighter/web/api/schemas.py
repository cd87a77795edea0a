"""The API's request bodies and answers, as pydantic models (they make the OpenAPI document)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Declare(BaseModel):
    """`POST /api/v1/incidents`."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    severity: str = Field(min_length=1, max_length=16, examples=["SEV2"])
    description: str = Field(default="", max_length=3000)
    component: str | None = Field(default=None, max_length=64)
    private: bool = False


class Update(BaseModel):
    """`POST /api/v1/incidents/{id}/updates`."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=3000)


class Move(BaseModel):
    """`POST /api/v1/incidents/{id}/status`."""

    model_config = ConfigDict(extra="forbid")

    status: str = Field(min_length=1, max_length=32, examples=["mitigated"])
    reason: str | None = Field(default=None, max_length=64)


class AddFollowUp(BaseModel):
    """`POST /api/v1/incidents/{id}/followups`."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=300)
    owner: str | None = Field(default=None, max_length=32, examples=["U01ALICE"])
    due: date | None = Field(default=None, examples=["2026-12-31"])


class Page(BaseModel):
    """A page of incidents, newest first; `next_cursor` fetches the next (null: the last)."""

    items: list[dict[str, Any]]
    next_cursor: str | None


class Error(BaseModel):
    """Every refusal: one sentence, naming the field when a field is wrong."""

    error: str
