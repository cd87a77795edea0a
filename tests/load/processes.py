"""FireFighter as separate processes on a fresh PostgreSQL database, started and stopped
as a rolling update does (SIGTERM, then the seconds it took to exit).

Shared by tests/test_shutdown.py and the benches (bench/storm.py, bench/rolling.py).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from firefighter.db import upgrade

ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def fresh_database() -> Iterator[str]:
    """A migrated database `ff_storm_<random>` next to TEST_DATABASE_URL, dropped after."""
    name = f"ff_storm_{uuid.uuid4().hex[:10]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def wait_listening(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    """Block until `process` accepts connections on `port`."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited during start-up")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{what}: nothing listens on {port}")


@dataclass
class Process:
    """One `firefighter serve --no-worker` or `firefighter worker` process."""

    role: str
    popen: subprocess.Popen[bytes]
    log: Path
    port: int | None = None

    @property
    def url(self) -> str:
        """Where Slack's requests go (serve only)."""
        return f"http://127.0.0.1:{self.port}/slack/events"

    def output(self) -> str:
        """What the process printed so far."""
        return self.log.read_text(errors="replace")


class StopTooSlow(Exception):
    """A process did not exit by itself after SIGTERM."""


@dataclass
class Fleet:
    """Starts and stops FireFighter processes that share one environment."""

    env: dict[str, str]
    workdir: Path
    started: list[Process] = field(default_factory=list)
    stop_times: list[float] = field(default_factory=list)
    _count: int = 0

    def _spawn(self, role: str, arguments: list[str]) -> Process:
        self._count += 1
        log = self.workdir / f"{role}{self._count}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                [sys.executable, "-m", "firefighter.cli", *arguments],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.workdir,
            )
        process = Process(role, popen, log)
        self.started.append(process)
        return process

    def serve(self) -> Process:
        """A new `serve --no-worker` on a free port, once it accepts connections."""
        port = free_port()
        process = self._spawn("serve", ["serve", "--no-worker", "--port", str(port)])
        process.port = port
        wait_listening(port, process.popen, "firefighter serve")
        return process

    def worker(self, timeout: float = 60) -> Process:
        """A new `worker`, once it says it has started."""
        process = self._spawn("worker", ["worker"])
        deadline = time.monotonic() + timeout
        while "FireFighter worker" not in process.output():
            if process.popen.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"firefighter worker did not start:\n{process.output()}")
            time.sleep(0.05)
        return process

    def stop(self, process: Process, within: float = 30) -> float:
        """SIGTERM, then the seconds it took to exit; raises if it exits badly or too late."""
        began = time.monotonic()
        process.popen.send_signal(signal.SIGTERM)
        try:
            code = process.popen.wait(within)
        except subprocess.TimeoutExpired:
            process.popen.kill()
            raise StopTooSlow(f"{process.role} pid {process.popen.pid} ignored SIGTERM") from None
        took = time.monotonic() - began
        self.stop_times.append(took)
        if code != 0:
            raise StopTooSlow(f"{process.role} pid {process.popen.pid} exited with {code}")
        return took

    def close(self) -> None:
        """Stop whatever still runs (the end of the bench, or a failure)."""
        for process in self.started:
            if process.popen.poll() is None:
                process.popen.terminate()
        for process in self.started:
            try:
                process.popen.wait(15)
            except subprocess.TimeoutExpired:
                process.popen.kill()

    def handed_back(self) -> int:
        """Outbox items that stopping workers handed back instead of leaving leased."""
        return sum(
            int(found)
            for p in self.started
            for found in re.findall(r"stopping: handed back (\d+) outbox", p.output())
        )

    def tracebacks(self) -> list[str]:
        """Processes whose output shows a traceback (a shutdown must not print one)."""
        return [p.log.name for p in self.started if "Traceback" in p.output()]
