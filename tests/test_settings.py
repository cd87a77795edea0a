"""Settings come from the environment; a bad value is one line naming the variable."""

from __future__ import annotations

import pytest

from firefighter.settings import ConfigError, load_settings


def test_defaults_match_the_design(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "SLACK_API_URL", "FIREFIGHTER_COMMAND"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings(_env_file=None)
    assert settings.database_url == "sqlite:///firefighter.db"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.command == "/incident"
    assert [s.name for s in settings.severities] == ["SEV1", "SEV2", "SEV3", "SEV4", "SEV5"]
    assert [s.postmortem_required for s in settings.severities] == [True, True, False, False, False]


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIREFIGHTER_INCIDENTS_CHANNEL", "C0INC")
    monkeypatch.setenv("FIREFIGHTER_COMPONENTS", "api, web ,payments")
    monkeypatch.setenv(
        "FIREFIGHTER_SEVERITIES",
        '[{"name": "p1", "description": "Page", "postmortem_required": true}]',
    )
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    settings = load_settings(_env_file=None)
    assert settings.incidents_channel == "C0INC"
    assert settings.announce_digest_channel == "C0INC"
    assert settings.components == ["api", "web", "payments"]
    assert settings.severity_names == ["P1"]
    assert settings.database_url == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("FIREFIGHTER_TIMEZONE", "Mars/Base", "FIREFIGHTER_TIMEZONE: expected an IANA time zone"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL: expected a SQLAlchemy URL"),
        ("FIREFIGHTER_COMMAND", "incident", "FIREFIGHTER_COMMAND: expected a slash command"),
        ("FIREFIGHTER_SEVERITIES", "not json", "FIREFIGHTER_SEVERITIES"),
        ("FIREFIGHTER_OUTBOX_MAX_ATTEMPTS", "0", "FIREFIGHTER_OUTBOX_MAX_ATTEMPTS: input should"),
    ],
)
def test_bad_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as error:
        load_settings(_env_file=None)
    message = str(error.value)
    assert message.startswith(expected), message
    assert "\n" not in message
