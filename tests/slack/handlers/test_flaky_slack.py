"""Effects finish while Slack flaps: small runs of the flaky-Slack scenario in the suite.

What is checked is that everything arrives once; how fast is bench/flaky_slack.py's business
(its p99 targets assume a quiet machine, which a test suite on 2 busy cores is not).
"""

from __future__ import annotations

from firefighter.bootstrap import Core
from tests.load.flaky import describe, run_flaky


def test_one_call_in_five_failing_still_gives_every_incident_its_channel_card_and_announcement(
    core: Core,
) -> None:
    result = run_flaky(core.settings, incidents=8, updates=1, rate=0.2, deadline_s=180)
    report = "\n".join(describe("20%", result))

    assert result.errors == [], report
    assert result.not_ready == 0 and result.updates_missing == 0, report
    assert len(result.ready_s) == 8, report
    assert result.audit.lost == [] and result.duplicates == 0 and result.dead == 0, report


def test_half_the_calls_failing_for_a_while_converges_soon_after_slack_recovers(
    core: Core,
) -> None:
    result = run_flaky(core.settings, incidents=6, updates=1, rate=0.5, outage_s=8, deadline_s=240)

    assert result.not_ready == 0 and result.updates_missing == 0
    assert result.converged_after_recovery_s is not None
    assert result.converged_after_recovery_s <= 60
    assert result.audit.lost == [] and result.duplicates == 0 and result.dead == 0
