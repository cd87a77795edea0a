"""The command line gets the core's refusals that Slack gave alone before: no alerts on a
drill, no post-mortem before mitigation; each one line on stderr and exit code 2 (a refused
value, as the README says of the command line)."""

from __future__ import annotations

from sqlalchemy import select
from typer.testing import CliRunner

from firefighter.bootstrap import Core
from firefighter.cli import app
from firefighter.incidents.alert_models import Alert
from firefighter.incidents.alert_types import IncomingAlert, IncomingGroup

runner = CliRunner()


def invoke(*args: str, url: str) -> tuple[int, str, str]:
    env = {"DATABASE_URL": url, "SLACK_BOT_TOKEN": "", "COLUMNS": "200"}
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def test_alerts_attach_refuses_a_drill(core: Core, db_url: str) -> None:
    fired = IncomingAlert(fingerprint="fp-1", status="firing", title="Disk 95% full on db-1")
    core.alerts.ingest([IncomingGroup(source="generic", key="k1", title="Disk", alerts=[fired])])
    with core.factory() as session:
        alert_id = session.scalar(select(Alert.id))
    drill = core.service.declare(title="Game Day", severity="SEV3", actor="U1", drill=True)
    code, stdout, stderr = invoke("alerts", "attach", str(alert_id), drill.reference, url=db_url)
    assert code == 2 and stdout == "", stderr
    assert stderr.strip() == (
        f"error: {drill.reference} is a drill; real alerts belong to a real incident: pick another."
    )
    with core.factory() as session:
        assert session.scalar(select(Alert.incident_id)) is None


def test_postmortem_export_refuses_an_incident_not_yet_mitigated(core: Core, db_url: str) -> None:
    incident = core.service.declare(title="Checkout 502", severity="SEV2", actor="U1")
    code, stdout, stderr = invoke("postmortem", "export", str(incident.id), url=db_url)
    assert code == 2 and stdout == "", stderr
    assert stderr.strip() == (
        f"error: {incident.reference} is open; write the post-mortem once it is mitigated."
    )
