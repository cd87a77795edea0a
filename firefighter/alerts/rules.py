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

import yaml
from pydantic import BaseModel, ConfigDict, Field, RootModel, ValidationError, model_validator

from firefighter.gameday.spec import Problem, SpecError
from firefighter.incidents.alert_models import SOURCES
from firefighter.incidents.alerts import Route

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


def _lines(root: yaml.Node) -> dict[tuple[str | int, ...], int]:
    lines: dict[tuple[str | int, ...], int] = {}

    def walk(node: yaml.Node, path: tuple[str | int, ...]) -> None:
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                lines[(*path, str(key.value))] = key.start_mark.line + 1
                walk(value, (*path, str(key.value)))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, (*path, index))

    walk(root, ())
    return lines


def _where(loc: Sequence[str | int]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")


def parse_rules(
    text: str,
    *,
    source: str = "<alert rules>",
    severities: Sequence[str] = (),
    components: Sequence[str] = (),
) -> AlertRules:
    """Validate a rules file's text; SpecError lists every mistake with its line."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        raise SpecError(source, [Problem(line, "", f"not valid YAML: {error.problem}")]) from None
    except yaml.YAMLError as error:
        detail = str(error).splitlines()[0]
        raise SpecError(source, [Problem(None, "", f"not valid YAML: {detail}")]) from None
    if root is None:
        return AlertRules()
    if not isinstance(data, list):
        raise SpecError(source, [Problem(1, "", "expected a list of rules (each `- match: …`)")])
    lines = _lines(root)

    def line_of(loc: tuple[str | int, ...]) -> int:
        while loc not in lines:
            loc = loc[:-1]
        return lines[loc]

    problems: list[Problem] = []
    try:
        rules = _File.model_validate(data).root
    except ValidationError as error:
        for item in error.errors():
            loc = tuple(p for p in item["loc"] if not (isinstance(p, str) and "[" in p))
            message = str(item["msg"]).removeprefix("Value error, ")
            if item["type"] == "extra_forbidden":
                message = f"unknown key {loc[-1]!r}; a rule has match, action, severity, component"
            problems.append(Problem(line_of(loc), _where(loc), message))
        raise SpecError(source, problems) from None
    known = [s.upper() for s in severities]
    for index, rule in enumerate(rules):
        if rule.severity and known and rule.severity.upper() not in known:
            message = f"unknown severity {rule.severity!r}; choose one of {', '.join(known)}"
            problems.append(Problem(line_of((index, "severity")), f"[{index}].severity", message))
        if rule.component and components and rule.component not in components:
            message = f"unknown component {rule.component!r}; FIREFIGHTER_COMPONENTS lists them"
            problems.append(Problem(line_of((index, "component")), f"[{index}].component", message))
    if problems:
        raise SpecError(source, problems)
    return AlertRules(tuple(rules))


def load_rules(
    path: Path | None, *, severities: Sequence[str] = (), components: Sequence[str] = ()
) -> AlertRules:
    """The rules in `path` (none: every alert goes to triage); SpecError with lines."""
    if path is None:
        return AlertRules()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SpecError(str(path), [Problem(None, "", f"cannot read the file: {error}")]) from None
    return parse_rules(text, source=str(path), severities=severities, components=components)
