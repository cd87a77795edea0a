"""Who may page: anyone in the channel by default; configurable."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from firefighter.settings import Settings
from tests.conftest import FakeClock
from tests.paging.conftest import Paged, paged_bot


def test_by_default_only_people_in_the_incident_may_page(paged: Paged) -> None:
    incident = paged.bot.declare("Slow reports", severity="SEV3", component="payments")
    outsider = paged.bot.in_channel(incident, "page", user="U_DAVE")
    assert "Only its members may page" in paged.bot.reply_text(outsider)
    paged.bot.settle()
    assert not paged.pagerduty.events_for("trigger")
    member = paged.bot.in_channel(incident, "page", user="U_ALICE")
    assert "Paging the Payments on-call" in paged.bot.reply_text(member)


@pytest.fixture
def responders_only(
    request: pytest.FixtureRequest, settings: Settings, clock: FakeClock, tmp_path: Path
) -> Iterator[Paged]:
    yield from paged_bot(request, settings, clock, tmp_path, extra="who_may_page: responders")


def test_configured_to_role_holders(responders_only: Paged) -> None:
    paged = responders_only
    incident = paged.bot.declare("Slow reports", severity="SEV3", component="payments")
    paged.bot.core.service.add_members(incident.id, ["U_BOB"])
    refused = paged.bot.in_channel(incident, "page", user="U_BOB")
    assert "Only its role holders may page" in paged.bot.reply_text(refused)
    allowed = paged.bot.in_channel(incident, "page", user="U_ALICE")  # the commander
    assert "Paging the" in paged.bot.reply_text(allowed)
