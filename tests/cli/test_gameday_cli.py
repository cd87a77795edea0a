"""`firefighter gameday run | list | stop` against a real database."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from firefighter.cli.gameday import app

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "gameday-payments.yaml"


def test_run_list_and_stop(db_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"DATABASE_URL": db_url, "FIREFIGHTER_GAMEDAY_CHANNEL": "C0GAMEDAY"}
    unset = runner.invoke(app, ["run", str(EXAMPLE)], env={"DATABASE_URL": db_url})
    assert unset.exit_code == 1
    assert "set FIREFIGHTER_GAMEDAY_CHANNEL" in unset.stderr

    started = runner.invoke(app, ["run", str(EXAMPLE)], env=env)
    assert started.exit_code == 0, started.output
    assert "Game Day Payments resilience day (#1) started" in started.stdout
    listed = runner.invoke(app, ["list"], env=env)
    assert "running" in listed.stdout and "Payments" in listed.stdout
    twice = runner.invoke(app, ["run", str(EXAMPLE)], env=env)
    assert twice.exit_code == 1
    assert "is running; stop it before loading it again" in twice.stderr

    stopped = runner.invoke(app, ["stop"], env=env)
    assert stopped.exit_code == 0 and "is over" in stopped.stdout
    again = runner.invoke(app, ["stop"], env=env)
    assert again.exit_code == 1 and "No Game Day is running." in again.stderr
