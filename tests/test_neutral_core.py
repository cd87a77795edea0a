"""The core and the features without Slack store neutral records: no surface's markup.

People are user ids, commands are `wording.Command`, and each surface (slack/, the CLI,
the post-mortem pages) renders them. A Slack mention, channel or special token, an emoji
code or the slash command written into these packages would be rendered by every surface
as it is, and would break as soon as FIREFIGHTER_COMMAND is not `/incident`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "firefighter"
NEUTRAL = ("incidents", "gameday", "stats")

SLACK_MARKUP = {
    "a Slack mention": re.compile(r"<@"),
    "a Slack special token": re.compile(r"<!"),
    "a Slack channel link": re.compile(r"<#"),
    "an emoji code": re.compile(r"(?<![\w/]):[a-z][a-z0-9_+-]*:(?![\w/])"),
    "the default slash command": re.compile(r"(?<![\w.])/incident\b"),
}


def offences(text: str) -> list[str]:
    """`what (line)` for each piece of Slack markup in `text`."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        found += [f"{what} (line {number})" for what, p in SLACK_MARKUP.items() if p.search(line)]
    return found


def sources() -> list[Path]:
    return sorted(p for package in NEUTRAL for p in (ROOT / package).rglob("*") if p.is_file())


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_core_writes_no_slack_markup(path: Path) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    assert offences(text) == [], f"{path.relative_to(ROOT)} writes Slack markup"


@pytest.mark.parametrize(
    "line",
    [
        'f"<@{user_id}> is already the commander."',
        'f"<!subteam^{ident}>"',
        '"<#C123|general>"',
        'f":rotating_light: {firing} alerts firing"',
        '"stop it first (`/incident gameday stop`)."',
    ],
)
def test_the_check_sees_each_kind_of_markup(line: str) -> None:
    assert offences(line)


@pytest.mark.parametrize(
    "line",
    ['"game.yaml:12: scenarios[1]"', '"%H:%M:%S"', '"https://example.com:8080/x"', "a: b: c"],
)
def test_the_check_leaves_ordinary_text_alone(line: str) -> None:
    assert offences(line) == []
