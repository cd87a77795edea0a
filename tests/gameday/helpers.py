"""A small Game Day file for tests, and a way to play it step by step."""

from __future__ import annotations

from firefighter.gameday.spec import GameDaySpec, parse_spec
from firefighter.settings import DEFAULT_SEVERITIES

SEVERITIES = [s.name for s in DEFAULT_SEVERITIES]

TWO_TEAMS = """\
name: Test day
mode: informed
update_every: 10m
facilitators: [U_DAVE]
teams:
  red:
    members: [U_ALICE, U_BOB]
    theme: Checkout
  blue:
    usergroup: S_BLUE
    theme: Search
scenarios:
  - title: Checkout answers 502
    team: red
    severity: SEV2
    offset: 0m
    symptom: Synthetic checks fail on /checkout.
    hints:
      - after: 5m
        text: Look at the 09:00 deploy.
    mitigate_within: 30m
    truth: The deploy set a 300 ms timeout <!channel>.
  - title: Search is stale
    team: blue
    severity: SEV3
    offset: 10m
    symptom: New products are missing from search.
    hints:
      - after: 20m
        text: The indexer is stuck on one message.
    mitigate_within: 20m
    truth: A poison message stalled the indexer.
"""


def two_teams(text: str = TWO_TEAMS) -> GameDaySpec:
    """The two-team file, validated."""
    return parse_spec(text, source="test.yaml", severities=SEVERITIES)
