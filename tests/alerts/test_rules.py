"""Routing rules: declare, triage, ignore, first match wins; a broken file stops start-up."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from firefighter.alerts.rules import parse_rules
from firefighter.bootstrap import alert_rules
from firefighter.cli import app as cli
from firefighter.incidents import queries
from firefighter.incidents.models import Incident
from firefighter.settings import ConfigError, Settings
from firefighter.yaml_files import SpecError
from tests.alerts.conftest import AlertBot, payload

RULES = """\
- match: {source: alertmanager, labels: {severity: critical}}
  action: declare
  severity: SEV1
  component: payments
- match: {labels: {severity: critical}}
  action: ignore
- match: {labels: {service: database}}
  action: ignore
"""


def test_declare_rule_declares_at_once_with_the_alert_times(
    make_bot: Callable[..., AlertBot],
) -> None:
    bot = make_bot(RULES)
    answer = bot.post("alertmanager", payload("alertmanager"))
    assert answer.status_code == 202
    assert answer.json()["incidents"] == [1]
    bot.settle()
    with bot.core.factory() as session:
        incident = session.query(Incident).one()
        kinds = [e.kind for e in queries.timeline(session, incident.id)]
    (alert,) = bot.alerts()
    assert (incident.severity, incident.component) == ("SEV1", "payments")
    assert incident.title == "Payments API error rate above 5%"
    assert "severity=critical" in incident.description
    assert "http://prometheus.example.com:9090/graph" in incident.description
    # Time to detect of an alert-declared incident: arrival minus the alert's start.
    assert incident.started_at == alert.started_at
    assert incident.detected_at == alert.first_seen
    assert incident.detected_at - incident.started_at == alert.first_seen - alert.started_at
    assert kinds == ["declared", "alert"]
    assert bot.cards() == []  # declared, not triaged
    again = bot.post("alertmanager", payload("alertmanager"))
    assert again.json() == {"alerts": 1, "new": 0, "deduplicated": 1, "incidents": [1]}
    with bot.core.factory() as session:
        assert session.query(Incident).count() == 1


def test_first_match_wins_and_ignore_stores_but_posts_nothing(
    make_bot: Callable[..., AlertBot],
) -> None:
    bot = make_bot(RULES)
    body = payload("generic")
    body["labels"] = {"severity": "critical", "service": "database"}
    answer = bot.post("generic", body)  # not alertmanager: the ignore rule matches first
    assert answer.status_code == 202 and answer.json()["new"] == 1
    bot.settle()
    assert len(bot.alerts()) == 1
    assert bot.cards() == []
    with bot.core.factory() as session:
        assert session.query(Incident).count() == 0


def test_no_match_is_triage(make_bot: Callable[..., AlertBot]) -> None:
    bot = make_bot(RULES)
    bot.post("datadog", payload("datadog"))
    bot.settle()
    assert len(bot.cards()) == 1


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("- match: {labels: {a: b}}\n  action: page\n", "rules.yaml:2: [0].action"),
        ("- action: declare\n", "rules.yaml:1: [0]: a declare rule needs a severity"),
        ("- action: triage\n\n- action: declare\n  severity: SEV9\n", "rules.yaml:4"),
        ("- action: triage\n  mtach: {}\n", "rules.yaml:2: [0].mtach: unknown key"),
        ("- action: [\n", "rules.yaml:2: not valid YAML"),
        ("- match: {source: nagios}\n  action: ignore\n", "rules.yaml:1: [0].match.source"),
    ],
)
def test_mistakes_are_reported_with_their_line(text: str, found: str) -> None:
    with pytest.raises(SpecError) as raised:
        parse_rules(text, source="rules.yaml", severities=["SEV1", "SEV2"])
    assert found in str(raised.value)


def test_a_broken_rules_file_stops_serve_at_start_up(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "- match: {labels: {severity: critical}}\n  action: declare\n  severity: SEV7\n"
    )
    settings.alert_rules = path
    with pytest.raises(ConfigError, match=r"rules.yaml:3: \[0\].severity: unknown severity"):
        alert_rules(settings)
    for name, value in {
        "DATABASE_URL": settings.database_url,
        "FIREFIGHTER_ALERT_RULES": str(path),
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "secret",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    root = logging.getLogger()
    # `serve` logs JSON to the stderr it was given; the runner closes that stream after.
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(root, "level", root.level)
    result = CliRunner().invoke(cli, ["serve", "--no-worker", "--port", "3000"])
    assert result.exit_code == 2
    output = " ".join(result.output.split())
    assert "FIREFIGHTER_ALERT_RULES:" in output and "rules.yaml:3:" in output


def test_a_repeated_key_is_a_mistake_with_its_line() -> None:
    text = "- match: {source: grafana}\n  action: declare\n  action: ignore\n"
    with pytest.raises(SpecError) as raised:
        parse_rules(text, source="rules.yaml")
    assert str(raised.value) == "rules.yaml:3: [0].action: this key is repeated"
