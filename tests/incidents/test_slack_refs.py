"""What the Slack adapter made is recorded as named; a misspelt key is refused, not dropped."""

from __future__ import annotations

import pytest

from firefighter.bootstrap import Core


def test_a_misspelt_slack_fact_is_refused_and_a_known_one_recorded(core: Core) -> None:
    incident = core.service.declare(title="DNS", severity="SEV3", actor="U_ALICE")
    with pytest.raises(TypeError, match="channel_idd"):
        core.service.record_slack(incident.id, channel_idd="C1")
    core.service.record_slack(incident.id, channel_id="C1", card_ts="1.2")
    found = core.service.find_by_channel("C1")
    assert found is not None and found.card_ts == "1.2"
    assert found.version == incident.version  # a fact, not a change: buttons stay valid
