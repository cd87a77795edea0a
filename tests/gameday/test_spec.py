"""The Game Day file: every mistake reported with its line, and the sample file valid."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from firefighter.cli.gameday import app
from firefighter.gameday.spec import (
    SpecError,
    format_duration,
    from_stored,
    load_spec_file,
    parse_duration,
    parse_spec,
)
from tests.gameday.helpers import SEVERITIES, TWO_TEAMS

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "gameday-payments.yaml"

MISTAKES = """\
name: Spring
mode: informed
teams:
  red: [U01ALICE, bob]
  blue:
    usergroup: S0BLUE
    theme: Search
scenarios:
  - title: Checkout 502
    team: red
    severity: SEV9
    offset: 10
    symptom: Checks fail.
    mitigate_within: 30m
    truth: A bad deploy.
    sevrity: SEV2
  - title: Search is stale
    team: green
    severity: sev3
    offset: 5m
    symptom: Stale.
    hints:
      - after: 5m
    mitigate_within: 0s
"""


def test_every_mistake_is_reported_with_its_line() -> None:
    with pytest.raises(SpecError) as raised:
        parse_spec(MISTAKES, source="spring.yaml", severities=SEVERITIES)
    assert str(raised.value).splitlines() == [
        "spring.yaml:4: teams.red.members[1]: 'bob' is not valid here "
        "(a Slack user id such as U0123ABCD)",
        "spring.yaml:4: teams.red.theme: informed mode: give each team the theme it is told",
        "spring.yaml:5: teams.blue: no scenario is for this team; give it one",
        "spring.yaml:11: scenarios[0].severity: unknown severity 'SEV9'; "
        "choose one of SEV1, SEV2, SEV3, SEV4, SEV5",
        "spring.yaml:12: scenarios[0].offset: 10 is not a duration; "
        "write one such as 90s, 10m or 1h30m",
        "spring.yaml:16: scenarios[0].sevrity: unknown key 'sevrity'; did you mean 'severity'?",
        "spring.yaml:17: scenarios[1].truth: required, but missing",
        "spring.yaml:18: scenarios[1].team: unknown team 'green'; teams are: red, blue",
        "spring.yaml:23: scenarios[1].hints[0].text: required, but missing",
        "spring.yaml:24: scenarios[1].mitigate_within: "
        "the expected time to mitigate must be longer than 0s",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "name: x\nmode: [unclosed\n",
            "t.yaml:3: not valid YAML: expected ',' or ']', but got '<stream end>'",
        ),
        ("- just\n- a list\n", "t.yaml:1: expected a mapping with name, mode, teams and scenarios"),
        ("name: a\nname: b\n", "t.yaml:2: name: this key is repeated"),
        (
            "name: a\x07\n",
            "t.yaml: not valid YAML: unacceptable character #x0007: special characters are not "
            "allowed",
        ),
        (
            "name: x\nmode: chaos\nteams: {red: [U1AB]}\nscenarios: []\n",
            "t.yaml:2: mode: input should be 'informed' or 'dungeon'",
        ),
        (
            "name: x\nmode: dungeon\nteams:\n  red: {members: [U1AB], usergroup: S1AB}\n"
            "scenarios: []\n",
            "t.yaml:4: teams.red: give either members (a list of U… user ids) or usergroup "
            "(an S… id), not both",
        ),
    ],
)
def test_structural_mistakes(text: str, expected: str) -> None:
    with pytest.raises(SpecError) as raised:
        parse_spec(text, source="t.yaml", severities=SEVERITIES)
    assert expected in str(raised.value).splitlines()


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("10m", 600), ("1h30m", 5400), ("1h 5m 3s", 3903), ("2 min", 120), (0, 0)],
)
def test_durations(text: str | int, seconds: int) -> None:
    assert parse_duration(text) == seconds
    assert parse_duration(format_duration(seconds)) == seconds


@pytest.mark.parametrize("text", ["10", "", "m", "1.5h", "ten minutes", True, 600])
def test_durations_need_a_unit(text: str | int) -> None:
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(text)


def test_the_sample_file_is_valid_and_survives_storage() -> None:
    spec = load_spec_file(EXAMPLE, severities=SEVERITIES)
    assert spec.mode == "informed" and list(spec.teams) == ["red", "blue"]
    assert [s.team for s in spec.scenarios] == ["red", "blue", "red"]
    assert spec.teams["blue"].ids == ["S0BLUE"]
    assert from_stored(spec.model_dump(mode="json")) == spec
    two = parse_spec(TWO_TEAMS, severities=SEVERITIES)
    assert two.scenarios[0].hints[0].after == 300


def test_gameday_check_on_the_command_line(tmp_path: Path) -> None:
    runner = CliRunner()
    good = runner.invoke(app, ["check", str(EXAMPLE)])
    assert good.exit_code == 0, good.output
    assert "is valid: Game Day Payments resilience day (informed mode), 2 teams" in good.stdout
    bad = tmp_path / "spring.yaml"
    bad.write_text(MISTAKES)
    refused = runner.invoke(app, ["check", str(bad)])
    assert refused.exit_code == 1
    assert f"{bad} has 10 mistakes" in refused.stderr
    assert f"{bad}:11: scenarios[0].severity: unknown severity 'SEV9'" in refused.stderr
