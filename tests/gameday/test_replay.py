"""Replay a closed incident: the scenario file, `gameday check`, a `--fast` play, and the
report's times beside the real incident's."""

from __future__ import annotations

import io
import re
from pathlib import Path

from rich.console import Console
from typer.testing import CliRunner

from firefighter.bootstrap import Core
from firefighter.cli.gameday import app
from firefighter.gameday.spec import load_spec_file
from firefighter.incidents.alert_models import Alert, AlertGroup
from firefighter.sandbox.gameday_play import play_fast
from firefighter.settings import Settings
from tests.conftest import FakeClock

ROOT_CAUSE = "A retry storm from the checkout service exhausted the payments database pool."


def _closed_incident(core: Core, clock: FakeClock, settings: Settings) -> int:
    """INC-1: an alert, three updates, mitigated after 40 min, a post-mortem with its cause."""
    service = core.service
    incident = service.declare(
        title="Card payments failing",
        severity="SEV2",
        actor="UDECLARER",
        component="payments",
        description="Customers report declined cards.",
    )
    now = clock.now
    with core.factory.begin() as session:
        group = AlertGroup(
            source="alertmanager",
            group_key="payments",
            title="PaymentsErrorRate",
            labels={},
            state="declared",
            incident_id=incident.id,
            created_at=now,
            updated_at=now,
        )
        session.add(group)
        session.flush()
        session.add(
            Alert(
                source="alertmanager",
                fingerprint="f1",
                group_id=group.id,
                status="resolved",
                title="Payments API error rate above 5%",
                labels={"service": "payments"},
                incident_id=incident.id,
                started_at=now,
                first_seen=now,
                last_seen=now,
            )
        )
    clock.advance(minutes=4)
    service.assign_role(incident.id, "commander", "UALICE", actor="UDECLARER")
    clock.advance(minutes=4)
    service.add_update(incident.id, "Error rate at 30%; looking at the database.", actor="UALICE")
    clock.advance(minutes=10)
    service.add_update(incident.id, "Connection pool exhausted on payments-db.", actor="UALICE")
    service.transition(incident.id, "investigating", actor="UALICE")
    service.transition(incident.id, "mitigating", actor="UALICE")
    clock.advance(minutes=20)
    service.add_update(incident.id, "Checkout retries disabled; errors falling.", actor="UALICE")
    service.transition(incident.id, "mitigated", actor="UALICE")
    service.transition(incident.id, "postmortem", actor="UALICE")
    # The post-mortem as the file publisher writes it, with the authors' root cause below.
    folder = settings.postmortem_dir
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "INC-1.storage.xml").write_text(
        "<h1>INC-1</h1><p>generated</p><h2>Root causes</h2>"
        f"<p>{ROOT_CAUSE}</p><h2>What went well</h2><p><ac:placeholder>…</ac:placeholder></p>",
        encoding="utf-8",
    )
    service.record_postmortem(incident.id, page_id="file:INC-1", url="file:///INC-1.html")
    service.close(incident.id, actor="UALICE")
    return incident.id


def test_replay_validates_plays_fast_and_compares_times(
    core: Core, clock: FakeClock, settings: Settings, db_url: str, tmp_path: Path
) -> None:
    _closed_incident(core, clock, settings)
    runner = CliRunner()
    env = {"DATABASE_URL": db_url, "FIREFIGHTER_POSTMORTEM_DIR": str(settings.postmortem_dir)}
    target = tmp_path / "replay.yaml"
    written = runner.invoke(
        app, ["from-incident", "INC-1", "--team", "red", "--out", str(target)], env=env
    )
    assert written.exit_code == 0, written.output
    assert "its post-mortem's root cause" in written.stdout

    checked = runner.invoke(app, ["check", str(target)], env=env)
    assert checked.exit_code == 0, checked.output
    spec = load_spec_file(target, severities=settings.severity_names)
    scenario = spec.scenarios[0]
    assert scenario.title == "Replay of INC-1: Card payments failing"
    assert scenario.severity == "SEV2" and scenario.component == "payments"
    assert scenario.symptom.startswith("Alert from alertmanager: Payments API error rate above 5%")
    assert [(h.after // 60, h.text) for h in scenario.hints] == [
        (8, "Error rate at 30%; looking at the database."),
        (18, "Connection pool exhausted on payments-db."),
        (38, "Checkout retries disabled; errors falling."),
    ]
    assert 38 * 60 <= scenario.mitigate_within <= 39 * 60
    assert scenario.truth == ROOT_CAUSE
    assert scenario.replay_of is not None
    assert scenario.replay_of.incident == "INC-1"
    assert (scenario.replay_of.acknowledged_after or 0) // 60 == 4

    output = io.StringIO()
    play_fast(
        spec,
        source=str(target),
        out_dir=str(tmp_path / "play"),
        console=Console(file=output, width=200),
        speed=1200,
    )
    printed = output.getvalue()
    # Both sets of times: the drill's (whatever the scripted team did) and the real incident's.
    assert re.search(r"Time to acknowledge: drill \d+ min.*, the real INC-1 4 min", printed)
    assert re.search(r"Time to mitigate: drill \d.*, the real INC-1 38 min", printed)
    report = next((tmp_path / "play" / "reports").glob("GAMEDAY-*.html")).read_text()
    assert "Replay of INC-1" in report and "The real INC-1" in report


def test_only_a_closed_real_incident_can_be_replayed(core: Core, db_url: str) -> None:
    core.service.declare(title="Still burning", severity="SEV3", actor="U1")
    result = CliRunner().invoke(app, ["from-incident", "INC-1"], env={"DATABASE_URL": db_url})
    assert result.exit_code == 2
    assert "only a closed incident can be replayed" in result.stderr
