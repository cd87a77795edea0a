"""The routing rules file (FIREFIGHTER_ALERT_RULES): first match wins, no match is triage.

    - match: {source: alertmanager, labels: {severity: critical}}
      action: declare            # declare | triage | ignore
      severity: SEV1
      component: payments        # optional

Validated at start-up like a Game Day file: every mistake reported with its line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, ValidationError, model_validator

from firefighter.incidents.alert_models import SOURCES
from firefighter.incidents.alerts import Route
from firefighter.yaml_files import (
    Loc,
    Problem,
    SpecError,
    parse_yaml,
    read_text,
    validation_problems,
    where,
)

Source = Literal["alertmanager", "grafana", "datadog", "pagerduty", "generic"]
assert set(SOURCES) == set(Source.__args__)  # type: ignore[attr-defined]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Match(_Strict):
    """Which alerts a rule is for: a source, and labels that must all be equal."""

    source: Source | None = None
    labels: dict[str, str] = Field(default_factory=dict)


class Rule(_Strict):
    """One rule: a match and what to do with the groups it matches."""

    match: Match = Match()
    action: Literal["declare", "triage", "ignore"]
    severity: str | None = None
    component: str | None = None

    @model_validator(mode="after")
    def _declare_needs_severity(self) -> Rule:
        if self.action == "declare" and not self.severity:
            raise ValueError("a declare rule needs a severity, such as severity: SEV2")
        if self.action != "declare" and (self.severity or self.component):
            raise ValueError("severity and component apply to declare rules only")
        return self

    def matches(self, source: str, labels: dict[str, Any]) -> bool:
        """Whether an alert group from `source` with `labels` falls under this rule."""
        if self.match.source is not None and self.match.source != source:
            return False
        return all(str(labels.get(k)) == v for k, v in self.match.labels.items())


class _File(RootModel[list[Rule]]):
    pass


@dataclass(frozen=True)
class AlertRules:
    """The loaded rules."""

    rules: tuple[Rule, ...] = ()

    def route(self, source: str, labels: dict[str, Any]) -> Route:
        """What the first matching rule says; triage when none matches."""
        for rule in self.rules:
            if rule.matches(source, labels):
                severity = rule.severity.upper() if rule.severity else None
                return Route(rule.action, severity, rule.component)
        return Route()


def parse_rules(
    text: str,
    *,
    source: str = "<alert rules>",
    severities: Sequence[str] = (),
    components: Sequence[str] = (),
) -> AlertRules:
    """Validate a rules file's text; SpecError lists every mistake with its line."""
    data, lines = parse_yaml(text, source)
    if lines is None:
        return AlertRules()
    if not isinstance(data, list):
        raise SpecError(source, [Problem(1, "", "expected a list of rules (each `- match: …`)")])
    try:
        rules = _File.model_validate(data).root
    except ValidationError as error:
        raise SpecError(source, validation_problems(error, lines, _message)) from None
    # A repeated key silently replaces the first in YAML: say so rather than route by half.
    problems: list[Problem] = list(lines.duplicates)
    known = [s.upper() for s in severities]
    for index, rule in enumerate(rules):
        if rule.severity and known and rule.severity.upper() not in known:
            message = f"unknown severity {rule.severity!r}; choose one of {', '.join(known)}"
            loc: Loc = (index, "severity")
            problems.append(Problem(lines.of(loc), where(loc), message))
        if rule.component and components and rule.component not in components:
            message = f"unknown component {rule.component!r}; FIREFIGHTER_COMPONENTS lists them"
            problems.append(
                Problem(lines.of((index, "component")), f"[{index}].component", message)
            )
    if problems:
        raise SpecError(source, problems)
    return AlertRules(tuple(rules))


def load_rules(
    path: Path | None, *, severities: Sequence[str] = (), components: Sequence[str] = ()
) -> AlertRules:
    """The rules in `path` (none: every alert goes to triage); SpecError with lines."""
    if path is None:
        return AlertRules()
    return parse_rules(
        read_text(path), source=str(path), severities=severities, components=components
    )


def _message(item: dict[str, Any], loc: Loc) -> str:
    if item["type"] == "extra_forbidden":
        return f"unknown key {loc[-1]!r}; a rule has match, action, severity, component"
    return str(item["msg"]).removeprefix("Value error, ")
