"""The rules that once lived only in Slack code, asked of the core directly: components,
alerts on drills, who is announced and invited, the post-mortem's branching, stale buttons,
the fields of form errors, and the lifecycle's derived states."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from firefighter.bootstrap import Core
from firefighter.incidents import effects, lifecycle, rules
from firefighter.incidents.alert_models import Alert
from firefighter.incidents.alert_types import IncomingAlert, IncomingGroup
from firefighter.incidents.audience import announcement_channel, first_invitees
from firefighter.incidents.errors import Conflict, InvalidInput
from firefighter.incidents.lifecycle import CLOSED, LIFECYCLE, MoveContext, Status
from firefighter.incidents.models import Incident, IncidentRole
from firefighter.outbox.models import OutboxItem

STATES = [s.value for s in Status]


# ---- the lifecycle's derived states -----------------------------------------------------


def test_early_close_states_are_the_ones_a_reason_alone_lets_close() -> None:
    reason = MoveContext(closure_reason="duplicate", postmortem_required=True)
    plain = MoveContext(postmortem_required=True)
    derived = {s for s in STATES if lifecycle.can_close_early(s)}
    assert derived == {"open", "investigating"}
    for state in STATES:
        needs_reason = lifecycle.attempt(state, CLOSED, reason) and not lifecycle.attempt(
            state, CLOSED, plain
        )
        assert lifecycle.can_close_early(state) == needs_reason, state


def test_active_and_reopen_targets_come_from_the_table() -> None:
    assert lifecycle.ACTIVE == ("open", "investigating", "mitigating")
    assert all(lifecycle.attempt(s, "mitigated", MoveContext()) for s in lifecycle.ACTIVE)
    assert lifecycle.reopen_targets("mitigated") == ["investigating", "mitigating"]
    assert [lifecycle.reopen_targets(s) for s in STATES if s != "mitigated"] == [[]] * 5
    # Every row is reachable through `attempt`, and nothing else is.
    rows = {(src, m.dest) for m in LIFECYCLE for src in m.sources}
    anything = MoveContext(closure_reason="resolved", reopen_reason="back")
    allowed = {(a, b) for a in STATES for b in STATES if lifecycle.attempt(a, b, anything)}
    assert allowed == rows


# ---- components -------------------------------------------------------------------------


def test_a_component_must_be_a_configured_one(core: Core) -> None:
    with pytest.raises(InvalidInput) as refused:
        core.service.declare(title="Slow", severity="SEV3", actor="U1", component="teapot")
    assert refused.value.field == "component"
    assert "Unknown component 'teapot'" in str(refused.value) and "payments" in str(refused.value)
    with core.factory() as session:
        assert session.scalars(select(Incident)).all() == []
    declared = core.service.declare(title="Slow", severity="SEV3", actor="U1", component="search")
    assert declared.component == "search"
    assert core.service.declare(title="Slow", severity="SEV3", actor="U1").component is None


def test_without_configured_components_any_name_goes() -> None:
    assert rules.Rules(components=[]).component("teapot") == "teapot"
    assert rules.Rules(components=["api"]).component("  ") is None


# ---- alerts and drills ------------------------------------------------------------------


def _triage_group(core: Core) -> tuple[int, int]:
    alert = IncomingAlert(fingerprint="fp-1", status="firing", title="Disk 95% full on db-1")
    core.alerts.ingest([IncomingGroup(source="generic", key="k1", title="Disk", alerts=[alert])])
    with core.factory() as session:
        alert_id = session.scalar(select(Alert.id))
    assert alert_id is not None
    return core.alerts.group_of_alert(alert_id)


def test_alerts_cannot_be_attached_to_a_drill(core: Core) -> None:
    group, round_ = _triage_group(core)
    drill = core.service.declare(title="Game Day", severity="SEV3", actor="U1", drill=True)
    with pytest.raises(InvalidInput) as refused:
        core.alerts.attach(group, round_, drill.id, actor="U1")
    assert refused.value.field == "incident"
    assert f"INC-{drill.id} is a drill" in str(refused.value)
    real = core.service.declare(title="Disk full", severity="SEV3", actor="U1")
    assert core.alerts.attach(group, round_, real.id, actor="U1").id == real.id
    assert rules.takes_alerts(drill=False, status="mitigated")
    assert not rules.takes_alerts(drill=True, status="open")
    assert not rules.takes_alerts(drill=False, status="closed")


# ---- who is announced and invited -------------------------------------------------------


def _incident(**values: object) -> Incident:
    incident = Incident(id=7, severity="SEV1", component="payments", declarer="U_DEC", **values)
    incident.roles = [IncidentRole(role="scribe", user_id="U_SCRIBE")]
    return incident


def test_announced_in_the_incidents_channel_drills_in_the_game_day_one_private_nowhere(
    core: Core,
) -> None:
    settings = core.settings.model_copy(
        update={"incidents_channel": "C_INC", "gameday_channel": "C_GAME"}
    )
    assert announcement_channel(_incident(private=False, drill=False), settings) == "C_INC"
    assert announcement_channel(_incident(private=False, drill=True), settings) == "C_GAME"
    assert announcement_channel(_incident(private=True, drill=True), settings) is None


def test_invited_are_declarer_roles_then_responders_and_a_drill_only_its_team(
    core: Core,
) -> None:
    settings = core.settings.model_copy(
        update={"responders": {"*": ["U_ALL"], "SEV1": ["S_ONCALL", "U_DEC"], "payments": ["U_P"]}}
    )
    real = first_invitees(_incident(drill=False), settings, lambda _id: ["U_TEAM"])
    assert real == ("U_DEC", "U_SCRIBE", "U_ALL", "S_ONCALL", "U_P")
    drill = first_invitees(_incident(drill=True), settings, lambda _id: ["U_TEAM"])
    assert drill == ("U_DEC", "U_SCRIBE", "U_TEAM")


# ---- the post-mortem's branching --------------------------------------------------------


def _exports(core: Core, incident_id: int) -> int:
    with core.factory() as session:
        kinds = session.scalars(
            select(OutboxItem.kind).where(OutboxItem.incident_id == incident_id)
        ).all()
    return kinds.count(effects.EXPORT_POSTMORTEM)


def test_postmortem_moves_a_mitigated_incident_exports_later_and_refuses_before(
    core: Core,
) -> None:
    incident = core.service.declare(title="Checkout 502", severity="SEV2", actor="U1")
    with pytest.raises(InvalidInput) as refused:
        core.service.postmortem(incident.id, actor="U1")
    assert str(refused.value) == (
        f"INC-{incident.id} is open; write the post-mortem once it is mitigated."
    )
    assert _exports(core, incident.id) == 0
    core.service.transition(incident.id, "mitigated", actor="U1")
    assert core.service.postmortem(incident.id, actor="U1") is True
    assert core.service.as_drawn(incident.id, None).status == "postmortem"
    assert _exports(core, incident.id) == 1
    assert core.service.postmortem(incident.id, actor="U1") is False
    assert core.service.as_drawn(incident.id, None).status == "postmortem"
    assert _exports(core, incident.id) == 2


def test_an_export_is_refused_before_mitigation_whoever_asks(core: Core) -> None:
    incident = core.service.declare(title="Checkout 502", severity="SEV2", actor="U1")
    with pytest.raises(InvalidInput, match="once it is mitigated"):
        core.service.request_postmortem(incident.id, actor=None)


# ---- stale buttons ----------------------------------------------------------------------


def test_a_form_drawn_for_another_status_is_refused_with_where_it_stands(core: Core) -> None:
    incident = core.service.declare(title="Checkout 502", severity="SEV2", actor="U1")
    assert core.service.as_drawn(incident.id, "open").id == incident.id
    core.service.transition(incident.id, "investigating", actor="U1")
    with pytest.raises(Conflict) as stale:
        core.service.as_drawn(incident.id, "open")
    assert str(stale.value) == (
        f"INC-{incident.id} changed since you looked at it: it is now investigating (SEV2). "
        "Nothing was changed."
    )


# ---- form errors carry their field ------------------------------------------------------


HOUR, LATER = timedelta(hours=1), timedelta(days=1)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"title": "  "}, "title"),
        ({"title": "x" * 500}, "title"),
        ({"severity": "SEV9"}, "severity"),
        ({"description": "x" * 10_001}, "description"),
        ({"started_at": LATER}, "started_at"),
        ({"detected_at": LATER}, "detected_at"),
        ({"started_at": -HOUR / 2, "detected_at": -HOUR}, "started_at"),
    ],
)
def test_declare_refusals_name_their_field(
    core: Core, values: dict[str, object], field: str
) -> None:
    now = core.service.clock()
    arguments: dict[str, object] = {"title": "Slow", "severity": "SEV3", "actor": "U1"}
    for key, value in values.items():
        arguments[key] = now + value if isinstance(value, timedelta) else value
    with pytest.raises(InvalidInput) as refused:
        core.service.declare(**arguments)  # type: ignore[arg-type]
    assert refused.value.field == field


def test_follow_up_refusals_name_their_field(core: Core) -> None:
    incident = core.service.declare(title="Checkout 502", severity="SEV2", actor="U1")
    with pytest.raises(InvalidInput) as nameless:
        core.followups.add(incident.id, "  ", actor="U1")
    assert nameless.value.field == "title"
    past = core.followups.today() - timedelta(days=1)
    with pytest.raises(InvalidInput) as late:
        core.followups.add(incident.id, "Add an index", actor="U1", due=past)
    assert late.value.field == "due"
