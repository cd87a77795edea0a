"""Effects finish while Slack flaps: small runs of bench/flaky_slack.py in the suite."""

from __future__ import annotations

from bench.flaky_slack import describe, percentile, run_flaky
from firefighter.bootstrap import Core


def test_one_call_in_five_failing_still_gives_every_incident_its_channel_card_and_announcement(
    core: Core,
) -> None:
    result = run_flaky(core.settings, incidents=8, updates=1, rate=0.2, deadline_s=60)
    report = "\n".join(describe("20%", result))

    assert result.errors == [], report
    assert result.not_ready == 0 and result.updates_missing == 0, report
    assert percentile(result.ready_s, 0.99) <= 30, report
    assert percentile(result.update_s, 0.99) <= 30, report
    assert result.audit.lost == [] and result.duplicates == 0 and result.dead == 0, report


def test_half_the_calls_failing_for_a_while_converges_soon_after_slack_recovers(
    core: Core,
) -> None:
    result = run_flaky(core.settings, incidents=6, updates=1, rate=0.5, outage_s=8, deadline_s=90)

    assert result.not_ready == 0 and result.updates_missing == 0
    assert result.converged_after_recovery_s is not None
    assert result.converged_after_recovery_s <= 60
    assert result.audit.lost == [] and result.duplicates == 0 and result.dead == 0
