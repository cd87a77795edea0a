"""The first hour with the command line: every refusal one line, exit code 2, no traceback;
`serve` and `worker` listen only where they can, and the worker answers probes and counts
its deliveries."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

from firefighter.bootstrap import Core
from firefighter.cli import app
from firefighter.db import transaction
from firefighter.emulators.slack import SlackEmulator
from firefighter.outbox import enqueue
from firefighter.settings import Settings

runner = CliRunner()


def invoke(*args: str, url: str, **env: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"DATABASE_URL": url, "COLUMNS": "200", **env})
    return result.exit_code, result.stdout, result.stderr


def refused(code: int, stdout: str, stderr: str) -> str:
    """The refusal's one line, after checking it is one line, exit code 2 and no traceback."""
    assert code == 2, (code, stdout, stderr)
    assert "Traceback" not in stderr + stdout
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["serve", "--port", "99999"], "use a number from 1 to 65535"),
        (["serve", "--port", "65536"], "use a number from 1 to 65535"),
        (["serve", "--port", "0"], "use a number from 1 to 65535"),
        (["serve", "--port", "-1"], "use a number from 1 to 65535"),
        (["serve", "--host", "999.1.1.1"], "'999.1.1.1' is not an address"),
        (["serve", "--host", "not a host"], "is not an address"),
        (["worker", "--port", "70000"], "use a number from 1 to 65535"),
        (["stats", "--days", "800000"], "use 1 to 3660"),
        (["stats", "--days", "0"], "use 1 to 3660"),
        (["digest", "--days", "800000"], "use 1 to 3660"),
        (["alerts", "list", "--limit", "0"], "--limit 0 shows nothing"),
        (["alerts", "list", "--limit", "-5"], "--limit -5 shows nothing"),
        (["incident", "list", "--status", ""], "--status needs a status"),
        (["incident", "list", "--status", "burning"], "'burning' is not a status"),
        (["incident", "show", "x" * 100_000], "is not an incident reference"),
        (["followup", "list", "--incident", "INC-x"], "is not an incident reference"),
        (["outbox", "retry", "5"], "effect 5 does not exist"),
        # click's own usage errors, one line too instead of a framed box.
        (["serve", "--port", "abc"], "invalid value for '--port'"),
        (["incident", "show"], "missing argument 'INCIDENT'"),
        (["nosuch"], "no such command 'nosuch'"),
    ],
)
def test_refusals_are_one_line_with_exit_code_2(
    args: list[str], says: str, core: Core, db_url: str
) -> None:
    line = refused(*invoke(*args, url=db_url))
    assert says in line
    assert len(line) < 200  # a 100,000-character reference is not echoed whole


def test_status_is_case_insensitive_and_follow_ups_take_inc_references(
    core: Core, db_url: str
) -> None:
    incident = core.service.declare(title="Login down", severity="SEV2", actor="U1")
    code, stdout, _ = invoke("incident", "list", "--status", "OPEN", "--format", "json", url=db_url)
    assert code == 0 and [row["id"] for row in json.loads(stdout)] == [incident.id]
    code, stdout, _ = invoke(
        "followup", "list", "--incident", f"INC-{incident.id}", "--format", "json", url=db_url
    )
    assert code == 0 and json.loads(stdout) == []


def test_a_bad_json_setting_names_the_shape_it_expects(core: Core, db_url: str) -> None:
    code, _, stderr = invoke("incident", "list", url=db_url, FIREFIGHTER_RESPONDERS="notjson")
    assert code == 2
    assert "FIREFIGHTER_RESPONDERS: expected a JSON object such as {" in stderr
    assert "list" not in stderr


def test_an_unknown_game_day_is_named_before_the_missing_channel(core: Core, db_url: str) -> None:
    code, _, stderr = invoke("gameday", "start", "nosuch", url=db_url)
    assert code != 0 and "Traceback" not in stderr
    assert "No Game Day called 'nosuch' is loaded" in stderr
    assert "FIREFIGHTER_GAMEDAY_CHANNEL" not in stderr


def test_an_empty_database_has_no_incidents_to_measure(core: Core, db_url: str) -> None:
    code, stdout, _ = invoke("stats", url=db_url)
    assert code == 0
    assert stdout.strip() == "No incidents in the last 7 days, nor in the 7 before, and none open."


def test_help_shows_no_python_types(core: Core, db_url: str) -> None:
    for command in (["serve"], ["incident", "show"], ["followup", "list"], ["outbox", "retry"]):
        code, stdout, _ = invoke(*command, "--help", url=db_url)
        assert code == 0
        for noise in ("<bool>", "<str>", "<int>", "{incident}"):
            assert noise not in stdout, (command, noise)
    _, stdout, _ = invoke("incident", "show", "--help", url=db_url)
    assert "incident show [OPTIONS] INCIDENT" in stdout


def test_incident_show_prints_milestones_in_the_configured_zone(core: Core, db_url: str) -> None:
    incident = core.service.declare(title="Login down", severity="SEV2", actor="U1")
    code, stdout, _ = invoke(
        "incident", "show", str(incident.id), url=db_url, FIREFIGHTER_TIMEZONE="Asia/Tokyo"
    )
    assert code == 0
    declared = incident.declared_at.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Tokyo"))
    shown = declared.strftime("%Y-%m-%d %H:%M:%S")
    assert f"declared      {shown}" in stdout  # not ISO with microseconds, not UTC
    assert "milestones (Asia/Tokyo)" in stdout and "When (Asia/Tokyo)" in stdout
    _, listed, _ = invoke("incident", "list", url=db_url, FIREFIGHTER_TIMEZONE="Asia/Tokyo")
    assert "Declared (Asia/Tokyo)" in listed and shown[:16] in listed


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_says_in_one_line_that_the_port_is_taken(core: Core, db_url: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = subprocess.run(
            [sys.executable, "-m", "firefighter.cli", "serve", "--port", str(port)],
            env={
                **os.environ,
                "DATABASE_URL": db_url,
                "SLACK_BOT_TOKEN": "xoxb-test",
                "SLACK_SIGNING_SECRET": "secret",
            },
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: port {port} on 127.0.0.1 is already in use; stop what listens there or "
        "choose another with --port."
    ]


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as answer:
        return answer.status, answer.read().decode()


def test_the_worker_answers_probes_and_counts_its_deliveries(
    core: Core, settings: Settings, tmp_path: Path
) -> None:
    port = _free_port()
    with SlackEmulator() as emulator:
        channel = emulator.add_channel("incidents")
        env = {
            **os.environ,
            "DATABASE_URL": settings.database_url,
            "SLACK_BOT_TOKEN": emulator.bot_token,
            "SLACK_SIGNING_SECRET": "secret",
            "SLACK_API_URL": emulator.api_url,
            "FIREFIGHTER_INCIDENTS_CHANNEL": channel,
            "FIREFIGHTER_POSTMORTEM_DIR": str(tmp_path / "postmortems"),
            "FIREFIGHTER_SLACK_PACING": "false",
        }
        worker = subprocess.Popen(
            [sys.executable, "-m", "firefighter.cli", "worker", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            health = f"http://127.0.0.1:{port}/healthz"
            deadline = time.monotonic() + 30
            status = 0
            while time.monotonic() < deadline and status != 200:
                try:
                    status, body = _get(health)
                except OSError:
                    time.sleep(0.1)
            assert status == 200 and json.loads(body)["database"] == "ok"
            with transaction(core.factory) as session:
                enqueue(session, "digest.post", {}, now=core.service.clock())
            counted = ""
            while time.monotonic() < deadline and not counted:
                _, metrics = _get(f"http://127.0.0.1:{port}/metrics")
                counted = next(
                    (
                        line
                        for line in metrics.splitlines()
                        if line.startswith("firefighter_outbox_deliveries_total{")
                    ),
                    "",
                )
                time.sleep(0.1)
            assert 'kind="digest.post"' in counted, metrics[-3000:]
        finally:
            worker.terminate()
            worker.wait(30)
    assert worker.returncode == 0
