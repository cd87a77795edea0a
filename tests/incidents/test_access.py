"""Who may declare, close, downgrade and reopen; a refusal says who may."""

from __future__ import annotations

import pytest

from firefighter.bootstrap import Core
from firefighter.incidents.access import AccessPolicy, Forbidden
from firefighter.incidents.errors import IncidentError
from firefighter.incidents.models import Incident
from firefighter.slack.mrkdwn import sentence


def slack(error: IncidentError) -> str:
    """The refusal as Slack shows it."""
    return sentence(error.words, "/incident")


def restricted(core: Core, **kwargs: object) -> None:
    groups = {"S_ADMINS": {"U_ADMIN"}, "S_ONCALL": {"U_ONCALL"}}
    core.service.policy = AccessPolicy(group_members=lambda g: groups.get(g, set()), **kwargs)  # type: ignore[arg-type]


def test_everyone_may_declare_by_default(core: Core) -> None:
    assert core.service.declare(title="DNS", severity="SEV3", actor="U_ANYONE").id == 1


def test_only_configured_declarers_may_declare(core: Core) -> None:
    restricted(core, declarers=["S_ONCALL", "U_LEAD"])
    with pytest.raises(Forbidden) as refused:
        core.service.declare(title="DNS", severity="SEV3", actor="U_RANDOM")
    # The core names people by id; Slack shows a user group and a user as mentions.
    assert str(refused.value).startswith("Only @S_ONCALL, @U_LEAD may declare")
    assert slack(refused.value).startswith("Only <!subteam^S_ONCALL>, <@U_LEAD> may declare")
    assert core.service.declare(title="DNS", severity="SEV3", actor="U_ONCALL").id == 1
    assert core.service.declare(title="CDN", severity="SEV3", actor="U_LEAD").id == 2


def test_close_downgrade_reopen_are_for_role_holders_and_admins(core: Core) -> None:
    restricted(core, admins=["S_ADMINS"])
    incident = core.service.declare(title="DNS", severity="SEV2", actor="U_IC")
    core.service.assign_role(incident.id, "scribe", "U_SCRIBE", actor="U_IC")

    with pytest.raises(Forbidden) as refused:
        core.service.set_severity(incident.id, "SEV4", actor="U_BYSTANDER")
    assert slack(refused.value) == (
        "Only the people holding its roles (<@U_IC>, <@U_SCRIBE>) or an admin "
        "(<!subteam^S_ADMINS>) may downgrade INC-1."
    )
    # Anyone may raise the severity: more attention is never refused.
    assert core.service.set_severity(incident.id, "SEV1", actor="U_BYSTANDER").severity == "SEV1"
    assert core.service.set_severity(incident.id, "SEV2", actor="U_SCRIBE").severity == "SEV2"

    with pytest.raises(Forbidden):
        core.service.close(incident.id, actor="U_BYSTANDER", reason="duplicate")
    core.service.transition(incident.id, "mitigated", actor="U_BYSTANDER")
    with pytest.raises(Forbidden):
        core.service.reopen(incident.id, reason="back", actor="U_BYSTANDER")
    assert core.service.reopen(incident.id, reason="back", actor="U_ADMIN").status == (
        "investigating"
    )
    closed = core.service.close(incident.id, actor="U_IC", reason="duplicate")
    assert closed.status == "closed"


def test_a_refusal_writes_nothing(core: Core) -> None:
    restricted(core, admins=["U_ADMIN"])
    incident = core.service.declare(title="DNS", severity="SEV2", actor="U_IC")
    with pytest.raises(Forbidden):
        core.service.close(incident.id, actor="U_BYSTANDER", reason="duplicate")
    with core.factory() as session:
        fresh = session.get(Incident, incident.id)
        assert fresh is not None
        assert (fresh.status, fresh.version) == ("open", incident.version)


def test_anyone_mode(core: Core) -> None:
    restricted(core, closers="anyone")
    incident = core.service.declare(title="DNS", severity="SEV2", actor="U_IC")
    assert core.service.close(incident.id, actor="U_X", reason="duplicate").status == "closed"
