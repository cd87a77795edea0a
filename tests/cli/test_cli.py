"""The command line as an operator uses it: clear output, one-line errors, stable JSON."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from firefighter import __version__
from firefighter.bootstrap import Core
from firefighter.cli import app

runner = CliRunner()


def invoke(*args: str, url: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"DATABASE_URL": url, "COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def test_fresh_sqlite_file_upgrade_then_empty_list(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    code, _, _ = invoke("db", "upgrade", url=url)
    assert code == 0
    code, stdout, _ = invoke("incident", "list", "--format", "json", url=url)
    assert code == 0
    assert json.loads(stdout) == []


def test_list_and_show_json_fields(core: Core, db_url: str) -> None:
    first = core.service.declare(title="Login [bold]<x>", severity="SEV2", actor="U1")
    core.service.declare(title="Search slow", severity="SEV4", actor="U2", private=True)
    core.service.transition(first.id, "investigating", actor="U1")
    core.service.record_slack(first.id, channel_id="C123", channel_name="inc-x")

    code, stdout, _ = invoke("incident", "list", "--format", "json", url=db_url)
    assert code == 0
    rows = json.loads(stdout)
    assert [r["id"] for r in rows] == [2, 1]
    row = rows[1]
    for field in (
        "id",
        "title",
        "status",
        "severity",
        "channel_id",
        "commander",
        "private",
        "created_at",
        "postmortem_url",
    ):
        assert field in row
    assert row["title"] == "Login [bold]<x>"
    assert row["status"] == "investigating"
    assert row["severity"] == "SEV2"
    assert row["channel_id"] == "C123"
    assert row["commander"] == "U1"
    assert row["private"] is False
    assert row["created_at"].startswith("2026-03-02T09:00:00")
    assert row["postmortem_url"] is None

    code, stdout, _ = invoke("incident", "list", "--status", "open", "--format", "json", url=db_url)
    assert [r["id"] for r in json.loads(stdout)] == [2]

    code, stdout, _ = invoke("incident", "show", "INC-1", "--format", "json", url=db_url)
    assert code == 0
    shown = json.loads(stdout)
    assert [e["kind"] for e in shown["timeline"]] == ["declared", "status_changed"]
    assert set(shown["timeline"][0]) == {"at", "kind", "actor", "text"}

    code, stdout, _ = invoke("incident", "list", url=db_url)
    assert code == 0 and "Login [bold]<x>" in stdout and "INC-2" in stdout
    code, stdout, _ = invoke("incident", "show", "1", url=db_url)
    assert code == 0 and "Status changed from open to investigating" in stdout


def test_unknown_incident_is_one_line_and_non_zero(core: Core, db_url: str) -> None:
    code, _, stderr = invoke("incident", "show", "42", url=db_url)
    assert code == 1
    assert stderr.strip() == "error: There is no incident INC-42."
    code, _, stderr = invoke("incident", "show", "banana", url=db_url)
    # A reference that cannot be one is a usage error (exit code 2), like click's own.
    assert code == 2 and "not an incident reference" in stderr


def test_unmigrated_database_says_what_to_run(tmp_path: Path) -> None:
    code, _, stderr = invoke("incident", "list", url=f"sqlite:///{tmp_path / 'new.db'}")
    assert code == 1
    assert "run `firefighter db upgrade` first" in stderr
    assert len(stderr.strip().splitlines()) == 1


def test_unreachable_database_is_one_clear_line() -> None:
    code, _, stderr = invoke(
        "incident", "list", url="postgresql+psycopg://postgres:secret@127.0.0.1:1/none"
    )
    assert code == 1
    assert stderr.startswith(
        "error: cannot reach the database at postgresql+psycopg://postgres:***@"
    )
    assert "secret" not in stderr
    assert len(stderr.strip().splitlines()) == 1


def test_bad_setting_names_the_variable(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["incident", "list"],
        env={"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "FIREFIGHTER_TIMEZONE": "Mars/Base"},
    )
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: configuration: FIREFIGHTER_TIMEZONE: expected an IANA time zone such as "
        "Europe/Paris or UTC (got 'Mars/Base')"
    )


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"firefighter {__version__}"


def test_outbox_list_and_retry(core: Core, db_url: str) -> None:
    from firefighter.db import transaction
    from firefighter.outbox.models import OutboxItem

    incident = core.service.declare(title="DNS", severity="SEV3", actor="U1")
    code, stdout, _ = invoke("outbox", "list", url=db_url)
    assert code == 0 and "incident.open_channel" in stdout and "pending" in stdout
    with transaction(core.factory) as session:
        item = session.query(OutboxItem).filter_by(incident_id=incident.id).one()
        item.dead_at = item.created_at
        item.attempts = 8
        item.last_error = "PermanentFailure: channel_not_found"
        dead_id = item.id
    code, stdout, _ = invoke("outbox", "list", "--dead", url=db_url)
    assert code == 0 and "dead" in stdout and "channel_not_found" in stdout
    code, _, stderr = invoke("outbox", "retry", url=db_url)
    assert code == 2 and "give an effect ID or --all" in stderr
    code, stdout, _ = invoke("outbox", "retry", str(dead_id), url=db_url)
    assert code == 0 and "1 effect queued again." in stdout
    code, _, stderr = invoke("outbox", "retry", str(dead_id), url=db_url)
    assert code == 1 and "is not dead-lettered" in stderr
    code, stdout, _ = invoke("outbox", "list", "--dead", url=db_url)
    assert "Nothing waiting" in stdout


def test_followup_list_json_fields(core: Core, db_url: str) -> None:
    from datetime import date

    incident = core.service.declare(title="Login down", severity="SEV2", actor="U1")
    core.followups.add(incident.id, "Add retries", actor="U1", owner="U2", due=date(2026, 3, 9))
    second = core.followups.add(incident.id, "Runbook", actor="U1")
    core.followups.close(second.id, actor="U1")
    code, stdout, _ = invoke("followup", "list", "--format", "json", url=db_url)
    assert code == 0
    rows = json.loads(stdout)
    assert [
        set(r) >= {"id", "incident_id", "title", "owner", "due", "status", "jira_key", "created_at"}
        for r in rows
    ] == [True, True]
    assert (rows[0]["owner"], rows[0]["due"], rows[0]["status"]) == ("U2", "2026-03-09", "open")
    code, stdout, _ = invoke("followup", "list", "--open", "--format", "json", url=db_url)
    assert [r["title"] for r in json.loads(stdout)] == ["Add retries"]
    code, stdout, _ = invoke("followup", "list", "--incident", str(incident.id), url=db_url)
    assert code == 0 and "Add retries" in stdout


def test_tables_name_people_and_json_keeps_their_ids(core: Core, db_url: str) -> None:
    from datetime import UTC, datetime

    from firefighter.incidents.conversation_models import Person

    incident = core.service.declare(title="Login down", severity="SEV2", actor="U_ALICE")
    core.service.add_update(incident.id, "Asked <@U_ALICE> and <@U_GHOST>", actor="U_GHOST")
    core.followups.add(incident.id, "Add retries", actor="U_ALICE", owner="U_ALICE")
    core.followups.add(incident.id, "Runbook", actor="U_ALICE", owner="U_GHOST")
    with core.factory.begin() as session:  # as users.info filled the cache
        session.add(Person(user_id="U_ALICE", name="Alice [b]M", refreshed_at=datetime.now(UTC)))

    code, stdout, _ = invoke("incident", "list", url=db_url)
    assert code == 0 and "Alice [b]M" in stdout and "U_ALICE" not in stdout
    code, stdout, stderr = invoke("incident", "show", "1", url=db_url)
    assert code == 0, stderr
    assert "commander Alice [b]M" in stdout and "U_ALICE" not in stdout
    assert "Asked @Alice [b]M and @U_GHOST" in stdout  # unknown: the id, not nothing
    code, stdout, _ = invoke("followup", "list", url=db_url)
    assert code == 0 and "Alice [b]M" in stdout and "U_GHOST" in stdout
    assert "U_ALICE" not in stdout
    code, stdout, _ = invoke("incident", "list", "--format", "json", url=db_url)
    assert json.loads(stdout)[0]["commander"] == "U_ALICE"  # DESIGN's JSON: Slack ids
    code, stdout, _ = invoke("followup", "list", "--format", "json", url=db_url)
    assert [r["owner"] for r in json.loads(stdout)] == ["U_ALICE", "U_GHOST"]
