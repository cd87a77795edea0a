"""Reminders as people see them: the nudge, its buttons, the update modal, DMs, the class menu."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from firefighter.emulators.slack import Message, blocks_text, validate_blocks
from firefighter.schedules import REMINDERS
from tests.conftest import FakeClock
from tests.slack.conftest import Bot, buttons


@pytest.fixture
def rbot(bot: Bot, clock: FakeClock) -> Iterator[Bot]:
    clock.tick = timedelta(0)
    yield bot


def remind(bot: Bot, clock: FakeClock, **after: float) -> list[Message]:
    """Move the clock, run the reminder pass as the worker would, deliver; new bot messages."""
    clock.advance(**after)
    scheduler = bot.core.scheduler()
    scheduler.jobs = [job for job in scheduler.jobs if job.name == REMINDERS]
    before = {m.ts for c in bot.emulator.channels for m in bot.emulator.messages(c.id)}
    scheduler.run_due()
    bot.settle()
    return [
        m for c in bot.emulator.channels for m in bot.emulator.messages(c.id) if m.ts not in before
    ]


def test_update_nudge_buttons_post_an_update_and_snooze(rbot: Bot, clock: FakeClock) -> None:
    incident = rbot.declare(title="Checkout down", severity="SEV1", user="U_ALICE")
    channel = incident.channel_id or ""
    rbot.in_channel(incident, "role comms <@U_BOB>")
    rbot.in_channel(incident, "role scribe <@U_CAROL>")
    rbot.settle()

    assert remind(rbot, clock, minutes=29) == []
    [nudge] = remind(rbot, clock, minutes=1)
    assert validate_blocks(nudge.blocks) == []
    assert blocks_text(nudge.blocks).startswith(
        ":bell: <@U_ALICE> INC-1 has had no update for 30m."
    )
    assert nudge in rbot.emulator.messages(channel)
    assert buttons(nudge) == ["Post an update", "Snooze 30 min"]

    clock.advance(minutes=10)  # 09:40
    rbot.driver.click(channel, nudge.ts, "reminder_update", "U_BOB")
    view = rbot.emulator.latest_view("U_BOB")
    assert view is not None and view.title == "Update INC-1"
    answer = rbot.driver.submit_view("U_BOB", {"update": "Rolled back release 42"})
    assert answer.status == 200 and not answer.body.strip()
    rbot.settle()
    assert any(
        "Rolled back release 42" in m.text and "<@U_BOB>" in m.text
        for m in rbot.emulator.messages(channel)
    )
    assert remind(rbot, clock, minutes=25) == []  # 10:05: the update restarted the interval
    [nudge] = remind(rbot, clock, minutes=5)  # 10:10

    clock.advance(minutes=5)  # 10:15: snoozed until 10:45
    rbot.driver.click(channel, nudge.ts, "reminder_snooze", "U_ALICE")
    snoozed = rbot.emulator.find_message(channel, nudge.ts)
    assert snoozed is not None and buttons(snoozed) == []
    assert "snoozed for 30 min by <@U_ALICE>" in snoozed.text
    assert remind(rbot, clock, minutes=29) == []  # 10:44, past the interval but snoozed
    [again] = remind(rbot, clock, minutes=1)
    assert "Post an update" in buttons(again)

    rbot.in_channel(incident, "mitigated")
    rbot.settle()
    assert remind(rbot, clock, hours=3) == []


def test_empty_roles_nudge_names_the_missing_roles(rbot: Bot, clock: FakeClock) -> None:
    incident = rbot.declare(title="Payments down", severity="SEV2", user="U_ALICE")
    rbot.in_channel(incident, "role scribe <@U_CAROL>")
    rbot.settle()
    assert remind(rbot, clock, minutes=9) == []
    [nudge] = remind(rbot, clock, minutes=1)
    assert nudge.text == (
        ":busts_in_silhouette: <@U_ALICE> this SEV2 still has no communications lead. "
        "Ask someone to take it: `/incident role comms @someone`."
    )
    assert remind(rbot, clock, minutes=20) == []


def test_overdue_postmortem_is_a_direct_message_to_the_commander(
    rbot: Bot, clock: FakeClock
) -> None:
    incident = rbot.declare(title="Search down", severity="SEV2", user="U_ALICE")
    rbot.in_channel(incident, "role comms <@U_BOB>")
    rbot.in_channel(incident, "role scribe <@U_CAROL>")
    rbot.in_channel(incident, "mitigated")  # Monday 2 March, 09:00
    rbot.settle()
    assert remind(rbot, clock, days=6, hours=23) == []  # Monday 9 March, 08:00
    [dm] = remind(rbot, clock, hours=1, minutes=1)
    ims = [c for c in rbot.emulator.channels if c.is_im and c.im_user == "U_ALICE"]
    assert len(ims) == 1 and rbot.emulator.messages(ims[0].id) == [dm]
    assert dm.text.startswith(":memo: The post-mortem of *INC-1* (Search down) is overdue")
    assert f"in <#{incident.channel_id}>" in dm.text
    assert remind(rbot, clock, hours=3) == []  # once a working day
    assert len(remind(rbot, clock, days=1)) == 1


def test_failure_class_menu_after_closing(rbot: Bot, clock: FakeClock) -> None:
    incident = rbot.declare(title="Disk full", severity="SEV3", user="U_ALICE")
    rbot.in_channel(incident, "mitigated")
    rbot.in_channel(incident, "close")
    rbot.settle()
    [prompt] = remind(rbot, clock, minutes=1)
    assert validate_blocks(prompt.blocks) == []
    assert "Where did INC-1's failure come from?" in blocks_text(prompt.blocks)
    channel = incident.channel_id or ""
    rbot.driver.select(channel, prompt.ts, "failure_class", "capacity or load", "U_BOB")
    assert rbot.incident(incident.id).failure_class == "capacity or load"
    answered = rbot.emulator.find_message(channel, prompt.ts)
    assert answered is not None and answered.blocks == []
    assert answered.text == ":mag: INC-1 is classed as *capacity or load* (by <@U_BOB>)."
    rbot.settle()
    assert any("Failure class: capacity or load" in m.text for m in rbot.emulator.messages(channel))
    assert remind(rbot, clock, minutes=5) == []


def test_a_drills_nudge_is_labelled_drill(rbot: Bot, clock: FakeClock) -> None:
    incident = rbot.core.service.declare(
        title="Practice outage", severity="SEV1", actor="U_ALICE", drill=True
    )
    rbot.settle()
    nudges = [m for m in remind(rbot, clock, minutes=31) if "no update" in blocks_text(m.blocks)]
    assert nudges and nudges[0].channel_id == rbot.incident(incident.id).channel_id
    assert nudges[0].text.startswith("[DRILL] ")
    assert "DRILL" in blocks_text(nudges[0].blocks)


def test_followup_owner_gets_a_dm_with_done_and_snooze(rbot: Bot, clock: FakeClock) -> None:
    incident = rbot.declare(title="Checkout down", severity="SEV3", user="U_ALICE")
    rbot.in_channel(incident, "followup Add retries <@U_BOB|bob> due 2026-03-03")
    rbot.settle()

    def dms() -> list[Message]:
        new = remind(rbot, clock, days=1)
        ims = {c.id for c in rbot.emulator.channels if c.is_im}
        return [m for m in new if m.channel_id in ims]

    [due] = dms()  # Tuesday 3 March, 09:00
    assert validate_blocks(due.blocks) == []
    assert "Your follow-up of *INC-1: Checkout down* is due today." in due.text
    assert buttons(due) == ["Done", "Snooze a week"]
    ims = [c for c in rbot.emulator.channels if c.is_im and c.im_user == "U_BOB"]
    assert len(ims) == 1 and rbot.emulator.messages(ims[0].id) == [due]
    assert remind(rbot, clock, hours=3) == []  # once that day

    [overdue] = dms()  # Wednesday
    assert "was due on 2026-03-03" in overdue.text
    rbot.driver.click(overdue.channel_id, overdue.ts, "followup_snooze", "U_BOB", "1")
    assert [dms() for _ in range(6)] == [[]] * 6  # Thursday to Tuesday: snoozed
    [again] = dms()  # Wednesday 11 March, a week after the snooze
    rbot.driver.click(again.channel_id, again.ts, "followup_done", "U_BOB", "1")
    assert dms() == []
