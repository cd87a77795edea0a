"""The README's "Your first hour" runs as written: clone, `make demo`, look around, the demo
over Socket Mode, the Game Day.

The clone is a copy of this checkout (what is committed and what is not yet, minus what git
ignores), so that the test checks the code it sits beside; the copy's `.venv` is this
checkout's, already built, so `make demo` finds its stamp and installs nothing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
VENV = ROOT / ".venv"


def first_hour_commands() -> list[str]:
    """The commands of the first ```sh block under "## Your first hour", in order."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Your first hour\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block is not None, "the first-hour section has no ```sh block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def copy_of_the_checkout(into: Path) -> Path:
    """Every file git tracks or would track, copied with its times (the clone's stand-in)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            target = into / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return into


def test_the_walkthrough_names_each_step() -> None:
    commands = first_hour_commands()
    assert commands[0].startswith("git clone ") and "&& cd firefighter" in commands[0]
    assert commands[1] == "make demo"
    joined = "\n".join(commands)
    for step in ("incident show 1", "demo --socket-mode", "gameday run examples/"):
        assert step in joined
    # What the demo prints to look around is what the README says to type.
    demo = (ROOT / "firefighter" / "sandbox" / "demo.py").read_text()
    assert ".venv/bin/firefighter" in demo and "make shell" in demo


@pytest.mark.slow
@pytest.mark.skipif(
    not (VENV / "bin" / "firefighter").exists() or shutil.which("make") is None,
    reason="needs the checkout's .venv (make demo) and make",
)
def test_the_first_hour_runs_verbatim(tmp_path: Path) -> None:
    commands = first_hour_commands()
    clone, rest = commands[0], commands[1:]
    assert re.match(r"git clone .+ firefighter && cd firefighter(\s+#.*)?$", clone), clone
    checkout = copy_of_the_checkout(tmp_path / "firefighter")
    (checkout / ".venv").symlink_to(VENV)
    # The venv is built: its stamps newer than the copy's pyproject.toml, make installs nothing.
    for stamp in (".installed-runtime", ".installed"):
        if (VENV / stamp).exists():
            (VENV / stamp).touch()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FIREFIGHTER_", "SLACK_"))}
    env.pop("DATABASE_URL", None)
    run = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", "\n".join(rest)],
        cwd=checkout,
        env={**env, "COLUMNS": "120"},
        capture_output=True,
        text=True,
        timeout=900,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-4000:]
    assert "Traceback" not in output
    assert "pip install" not in output  # `make demo` reused the built venv
    # The look-around commands read the demo's incident, in the demo's zone.
    assert "INC-1 Checkout returns 502 for a third of requests" in output
    assert "milestones (Europe/Paris)" in output and "Declared (Europe/Paris)" in output
    assert "over Socket Mode" in output
    assert "final scores" in output
    assert (checkout / "demo-output" / "transcript.txt").exists()
    assert list((checkout / "demo-output" / "gameday" / "reports").glob("GAMEDAY-*.html"))
