"""The paging file (FIREFIGHTER_PAGING): services to page, per component, and when.

    who_may_page: channel          # channel (default) | anyone | responders
    services:
      Payments:
        pagerduty:
          routing_key: 0123456789abcdef0123456789abcdef   # Events API v2 integration key
          escalation_policy: PABC123                      # whose on-call `oncall` shows
      Checkout:
        opsgenie:
          team: Checkout                                  # the alert's responders
          schedule: checkout_schedule                     # whose on-call `oncall` shows
    components: {payments: Payments, checkout: Checkout}
    default: Payments                                     # components not listed
    rules:                                                # first match wins
      - severity: [SEV1, SEV2]
        page: automatic                                   # automatic | offer | never
      - page: offer

Validated at start-up like the alert rules: every mistake reported with its line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from firefighter.incidents.paging_plan import DEFAULT_RULES, PagingPlan, PagingRule
from firefighter.yaml_files import (
    Lines,
    Loc,
    Problem,
    SpecError,
    parse_yaml,
    read_text,
    validation_problems,
    where,
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PagerDutyService(_Strict):
    """A PagerDuty service: its Events API v2 routing key, and whose on-call to read."""

    # The length is PagerDuty's rule, checked by PagerDuty: a wrong key is reported in the
    # incident channel naming this setting, when a page is refused.
    routing_key: str = Field(min_length=1)
    escalation_policy: str | None = None


class OpsgenieService(_Strict):
    """An Opsgenie team: the alert's responders, its schedule, and an API key if not the global."""

    team: str = Field(min_length=1)
    schedule: str | None = None
    api_key: str | None = None


class ServiceSpec(_Strict):
    """One service: exactly one vendor."""

    pagerduty: PagerDutyService | None = None
    opsgenie: OpsgenieService | None = None

    @model_validator(mode="after")
    def _one_vendor(self) -> ServiceSpec:
        if (self.pagerduty is None) == (self.opsgenie is None):
            raise ValueError("give a service either `pagerduty:` or `opsgenie:`")
        return self

    @property
    def vendor(self) -> str:
        """pagerduty or opsgenie."""
        return "pagerduty" if self.pagerduty is not None else "opsgenie"


class RuleSpec(_Strict):
    """When to page: severities and components (absent: all), and how."""

    severity: list[str] = Field(default_factory=list)
    component: list[str] = Field(default_factory=list)
    page: Literal["automatic", "offer", "never"]

    @field_validator("severity", "component", mode="before")
    @classmethod
    def _listed(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value


class PagingFile(_Strict):
    """The whole file."""

    who_may_page: Literal["channel", "anyone", "responders"] = "channel"
    services: dict[str, ServiceSpec] = Field(min_length=1)
    components: dict[str, str] = Field(default_factory=dict)
    default: str | None = None
    rules: list[RuleSpec] | None = None


@dataclass(frozen=True)
class PagingConfig:
    """The loaded file: the vendors' details and the core's plan."""

    services: dict[str, ServiceSpec]
    plan: PagingPlan

    @property
    def enabled(self) -> bool:
        """Whether there is anything to page."""
        return bool(self.services)


NO_PAGING = PagingConfig({}, PagingPlan())


def parse_paging(
    text: str,
    *,
    source: str = "<paging>",
    severities: Sequence[str] = (),
    components: Sequence[str] = (),
) -> PagingConfig:
    """Validate the file's text; SpecError lists every mistake with its line."""
    data, lines = parse_yaml(text, source)
    if lines is None:
        return NO_PAGING
    if not isinstance(data, dict):
        raise SpecError(source, [Problem(1, "", "expected a mapping with `services:`")])
    try:
        spec = PagingFile.model_validate(data)
    except ValidationError as error:
        raise SpecError(source, validation_problems(error, lines, _message)) from None
    problems = lines.duplicates + _cross_checks(spec, lines, severities, components)
    if problems:
        raise SpecError(source, problems)
    return PagingConfig(dict(spec.services), _plan(spec))


def _cross_checks(
    spec: PagingFile,
    lines: Lines,
    severities: Sequence[str],
    components: Sequence[str],
) -> list[Problem]:
    """Mistakes the model cannot see alone: names that point nowhere."""
    found: list[tuple[Loc, str]] = []
    names = ", ".join(spec.services)
    unknown_component = "unknown component {!r}; FIREFIGHTER_COMPONENTS lists them"
    for component, service in spec.components.items():
        if service not in spec.services:
            found.append(
                (
                    ("components", component),
                    f"unknown service {service!r}; the services are {names}",
                )
            )
        if components and component not in components:
            found.append((("components", component), unknown_component.format(component)))
    if spec.default is not None and spec.default not in spec.services:
        found.append((("default",), f"unknown service {spec.default!r}; the services are {names}"))
    known = [s.upper() for s in severities]
    for index, rule in enumerate(spec.rules or []):
        for severity in rule.severity:
            if known and severity.upper() not in known:
                message = f"unknown severity {severity!r}; choose one of {', '.join(known)}"
                found.append((("rules", index, "severity"), message))
        for component in rule.component:
            if components and component not in components:
                found.append((("rules", index, "component"), unknown_component.format(component)))
    for name in spec.services:
        if len(name) > 64:
            found.append((("services", name), "a service name has at most 64 characters"))
    return [Problem(lines.of(loc), where(loc), message) for loc, message in found]


def _plan(spec: PagingFile) -> PagingPlan:
    rules = (
        tuple(
            PagingRule(r.page, tuple(s.upper() for s in r.severity), tuple(r.component))
            for r in spec.rules
        )
        if spec.rules is not None
        else DEFAULT_RULES
    )
    default = spec.default
    if default is None and len(spec.services) == 1:
        default = next(iter(spec.services))
    return PagingPlan(
        services={name: s.vendor for name, s in spec.services.items()},
        components=dict(spec.components),
        default=default,
        rules=rules,
        who_may_page=spec.who_may_page,
    )


def load_paging(
    path: Path | None, *, severities: Sequence[str] = (), components: Sequence[str] = ()
) -> PagingConfig:
    """The paging file at `path` (none: no paging); SpecError with lines."""
    if path is None:
        return NO_PAGING
    return parse_paging(
        read_text(path), source=str(path), severities=severities, components=components
    )


def _message(item: dict[str, Any], loc: Loc) -> str:
    if item["type"] == "extra_forbidden":
        return f"unknown key {loc[-1]!r}"
    return str(item["msg"]).removeprefix("Value error, ")
