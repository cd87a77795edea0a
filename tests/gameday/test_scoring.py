"""Scoring tiers, at their boundaries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from firefighter.gameday.scoring import DrillFacts, score

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def facts(**changes: object) -> DrillFacts:
    values: dict[str, object] = {
        "declared_at": T0,
        "acknowledged_at": None,
        "mitigated_at": None,
        "updates": (),
        "roles": frozenset(),
        "postmortem_written": False,
    }
    values.update(changes)
    return DrillFacts(**values)  # type: ignore[arg-type]


def points(drill: DrillFacts, minutes_now: float = 60) -> dict[str, int]:
    return score(
        drill,
        expected=timedelta(minutes=20),
        cadence=timedelta(minutes=10),
        as_of=T0 + timedelta(minutes=minutes_now),
    ).points


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_nothing_done_scores_nothing() -> None:
    assert sum(points(facts()).values()) == 0


@pytest.mark.parametrize(("minutes", "expected"), [(5, 20), (5.1, 10), (15, 10), (15.1, 5)])
def test_acknowledge_tiers(minutes: float, expected: int) -> None:
    assert points(facts(acknowledged_at=at(minutes)))["acknowledge"] == expected


@pytest.mark.parametrize(("minutes", "expected"), [(20, 40), (30, 25), (40, 15), (40.1, 5)])
def test_mitigate_tiers_against_the_expected_time(minutes: float, expected: int) -> None:
    assert points(facts(mitigated_at=at(minutes)))["mitigate"] == expected


def test_update_cadence_counts_the_silence_until_now_while_unmitigated() -> None:
    steady = facts(updates=(at(8), at(16)), mitigated_at=at(24))
    assert points(steady)["updates"] == 15
    # Still unmitigated at +40: 24 minutes of silence since the last update.
    quiet = facts(updates=(at(8), at(16)))
    assert points(quiet, minutes_now=40)["updates"] == 3
    assert points(quiet, minutes_now=30)["updates"] == 8


def test_roles_and_postmortem() -> None:
    drill = facts(roles=frozenset({"commander", "scribe"}), postmortem_written=True)
    assert points(drill)["roles"] == 7 and points(drill)["postmortem"] == 15


def test_each_released_hint_costs_five_points_never_below_zero() -> None:
    done = facts(acknowledged_at=at(2), mitigated_at=at(15), postmortem_written=True)
    full = score(done, expected=timedelta(minutes=20), cadence=timedelta(minutes=10), as_of=at(60))
    helped = score(
        facts(
            acknowledged_at=at(2), mitigated_at=at(15), postmortem_written=True, hints_released=2
        ),
        expected=timedelta(minutes=20),
        cadence=timedelta(minutes=10),
        as_of=at(60),
    )
    assert full.total - helped.total == 10 and helped.penalty == 10
    lost = score(
        facts(hints_released=3),
        expected=timedelta(minutes=20),
        cadence=timedelta(minutes=10),
        as_of=at(60),
    )
    assert lost.total == 0


@pytest.mark.parametrize(
    ("size", "roles", "expected"),
    [
        (None, {"commander"}, 4),  # a user group: three or more players
        (3, {"commander"}, 4),
        (2, {"commander", "scribe"}, 10),  # two players holding two roles: the best they can
        (2, {"commander"}, 6),  # 4 of a possible 7, scaled to 10
        (1, {"commander"}, 10),
    ],
)
def test_role_points_are_scaled_for_small_teams(
    size: int | None, roles: set[str], expected: int
) -> None:
    assert points(facts(roles=frozenset(roles), team_size=size))["roles"] == expected
