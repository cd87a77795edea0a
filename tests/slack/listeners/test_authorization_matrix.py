"""The authorisation table as people meet it: every action × every standing × public and
private, each through a signed Slack request to the bot, against the Slack emulator.

The expectations are written out here, not read from the code's table, so a change to the
table has to change this test too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from firefighter.incidents.models import Incident
from tests.slack.conftest import Bot

COMMANDER, HOLDER, MEMBER, OUTSIDER, ADMIN = "U_ALICE", "U_BOB", "U_CAROL", "U_DAVE", "U_ERIN"
WHO = {
    "commander": COMMANDER,
    "other role holder": HOLDER,
    "member without role": MEMBER,
    "non-member": OUTSIDER,
    "admin": ADMIN,
}
EVERYONE = frozenset(WHO)
RESPONDERS = frozenset({"commander", "other role holder", "admin"})
COMMAND_HOLDERS = frozenset({"commander", "admin"})


@dataclass(frozen=True)
class Row:
    action: str
    command: Callable[[str], str]  # the `/incident` text, given the actor's id
    allowed: frozenset[str]  # on a public incident; private ones also refuse the non-member
    setup: tuple[str, ...] = ()  # commands the commander runs first


MITIGATED = ("investigating", "mitigating", "mitigated")
ROWS = [
    Row("move", lambda _u: "investigating", EVERYONE),
    Row("update", lambda _u: "update Rolled back", EVERYONE),
    Row("raise severity", lambda _u: "severity SEV1", EVERYONE),
    Row("lower severity", lambda _u: "severity SEV4", RESPONDERS),
    Row("assign a role", lambda _u: "role comms <@U_FRANK>", RESPONDERS),
    Row("take a free role", lambda u: f"role comms <@{u}>", EVERYONE),
    Row("hand command over", lambda _u: "role commander <@U_FRANK>", COMMAND_HOLDERS),
    Row("take over command", lambda u: f"role commander <@{u}>", COMMAND_HOLDERS - {"commander"}),
    Row("close", lambda _u: "close duplicate", RESPONDERS),
    Row("reopen", lambda _u: "reopen it is back", RESPONDERS, MITIGATED),
    Row("add follow-ups", lambda _u: "followup Add retries", EVERYONE),
    Row("export", lambda _u: "postmortem", EVERYONE, (*MITIGATED, "postmortem")),
    Row("read status", lambda _u: "status", EVERYONE),
]


def prepare(bot: Bot, private: bool, setup: tuple[str, ...]) -> Incident:
    options = ["private"] if private else []
    incident = bot.declare(title="Payments down", severity="SEV2", options=options)
    assert bot.reply_text(bot.in_channel(incident, f"role scribe <@{HOLDER}>")).startswith("<@")
    bot.core.service.add_members(incident.id, [MEMBER])
    for text in setup:
        reply = bot.reply_text(bot.in_channel(incident, text))
        assert not reply.startswith(":warning:"), reply
    bot.settle()
    return bot.incident(incident.id)


@pytest.mark.parametrize("private", [False, True], ids=["public", "private"])
def test_every_action_for_every_standing(bot: Bot, private: bool) -> None:
    for user in ("U_ERIN", "U_FRANK"):
        bot.emulator.add_user(user, user[2:].lower())
    bot.core.service.policy.admins = [ADMIN]
    outcomes: list[tuple[str, str, str, str]] = []
    for row in ROWS:
        for standing, user in WHO.items():
            if row.action == "take over command" and standing == "commander":
                continue  # one cannot take what one holds
            incident = prepare(bot, private, row.setup)
            reply = bot.reply_text(bot.in_channel(incident, row.command(user), user))
            after = bot.incident(incident.id)
            allowed = standing in row.allowed and not (private and standing == "non-member")
            got = "refused" if reply.startswith(":warning:") else "allowed"
            expected = "allowed" if allowed else "refused"
            outcomes.append((row.action, standing, expected, got))
            if got == "refused":
                assert after.version == incident.version, (row.action, standing, reply)
                unseen = private and standing == "non-member"
                # Never a hint that a private incident exists: the unknown-incident sentence.
                wanted = f"There is no incident {incident.reference}." if unseen else "nly "
                assert wanted in reply, (row.action, standing, reply)
                assert "Traceback" not in reply and "Error" not in reply
    wrong = [o for o in outcomes if o[2] != o[3]]
    assert wrong == [], wrong
    assert len(outcomes) == len(ROWS) * len(WHO) - 1
