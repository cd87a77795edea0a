"""Several replicas behave as one bot: nothing lost, nothing duplicated, in a Slack storm.

N incidents (200 by default) are declared at the same time through the Slack emulator; each
gets 10 updates and walks to closed (every tenth is a SEV2 that goes through its post-mortem).
Requests alternate between 2 `firefighter serve --no-worker` processes; 2 `firefighter worker`
processes deliver the outbox; all share one fresh PostgreSQL database (`ff_storm_<random>` on
the server of TEST_DATABASE_URL, dropped at the end). The emulator answers 20 % of Web API
calls with 429 (Retry-After), 5 % with 500 and 2 % after 2 s. When half the expected effects
are delivered, one worker is killed with SIGKILL while it holds leases; nothing replaces it.

When the outbox is empty (or the time is up) the bench reads what Slack shows and checks it
against the database: one channel, one pinned card and one announcement per incident, both
drawn in the final state; every timeline event that should be posted posted once in the
channel (updates once more in the announcement's thread); no dead letters. The last line is
`storm_lost=<n> storm_duplicates=<n>`.

Which Slack it models: the emulator WITHOUT Slack's rate-limit tiers, and the bot's
pacing OFF (the bench sets FIREFIGHTER_SLACK_PACING=false for its processes itself,
whatever the shell says). It measures leases, retries and restarts under 429s and 500s
drawn at random, not Slack's pace: 200 channels at `conversations.create`'s Tier 2 (20 a
minute) would take ten minutes by themselves. bench/burst.py and bench/containment.py
measure the pace, with the tiers on.

    .venv/bin/python bench/storm.py [--incidents 200] [--updates 10] [--lease 30]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, make_url, select
from sqlalchemy.orm import Session, sessionmaker

# `python bench/storm.py` puts bench/ first on the path; the shared parts live under tests/.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from firefighter.bootstrap import build_core
from firefighter.emulators.slack import SlackDriver, SlackEmulator
from firefighter.outbox.models import OutboxItem
from firefighter.settings import Settings
from tests.load.audit import audit, leases_held, outbox_state
from tests.load.processes import free_port, fresh_database, wait_listening
from tests.load.responders import (
    ChannelWatch,
    Script,
    add_responders,
    expected_items,
    play,
    responder,
    severity_of,
)

SECRET = "storm-signing-secret"
SLACK_MODEL = (
    "Slack modelled: the emulator without rate-limit tiers, the bot's pacing off "
    "(FIREFIGHTER_SLACK_PACING=false, set by this bench); 429s and 500s at random"
)


# ---------------------------------------------------------------------------
# The bench: database, processes, storm, kill, drain, audit
# ---------------------------------------------------------------------------


@dataclass
class Kill:
    """When and whom the bench killed."""

    pid: int = 0
    at: float = 0.0
    leases: int = 0
    delivered: int = 0


def kill_halfway(
    factory: sessionmaker[Session],
    worker: subprocess.Popen[bytes],
    halfway: int,
    started: float,
    deadline: float,
) -> Kill:
    """SIGKILL `worker` once `halfway` items are delivered, at a moment it holds leases."""
    kill = Kill(pid=worker.pid)
    while outbox_state(factory)[0] < halfway and time.monotonic() < deadline:
        time.sleep(0.2)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and leases_held(factory, worker.pid) == 0:
        time.sleep(0.05)
    kill.leases = leases_held(factory, worker.pid)
    kill.delivered = outbox_state(factory)[0]
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(10)
    kill.at = time.monotonic() - started
    return kill


def drain(factory: sessionmaker[Session], deadline: float) -> tuple[int, int, int]:
    """Wait until nothing is pending in the outbox or the deadline passes."""
    while True:
        state = outbox_state(factory)
        if state[2] == 0 or time.monotonic() > deadline:
            return state
        time.sleep(0.5)


def call_summary(emulator: SlackEmulator) -> list[str]:
    """How many Web API calls the bot made, and how many got a fault."""
    calls = emulator.calls
    faults = Counter(c.fault for c in calls if c.fault)
    methods = Counter(c.method for c in calls)
    top = ", ".join(f"{m} {n}" for m, n in methods.most_common(8))
    return [
        f"Slack Web API calls {len(calls)}: 429 {faults['ratelimited']}, "
        f"500 {faults['server_error']}, slow {faults['slow']}",
        f"    by method: {top}",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the storm and print the report; the exit code is 1 when anything was lost or
    duplicated."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--incidents", type=int, default=200)
    parser.add_argument("--updates", type=int, default=10)
    parser.add_argument("--serve", type=int, default=2, help="serve --no-worker processes")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--threads", type=int, default=8, help="delivery threads per worker")
    parser.add_argument("--lease", type=float, default=30.0, help="outbox lease, seconds")
    parser.add_argument("--rate-429", type=float, default=0.2)
    parser.add_argument("--rate-500", type=float, default=0.05)
    parser.add_argument("--slow-rate", type=float, default=0.02)
    parser.add_argument("--slow-seconds", type=float, default=2.0)
    parser.add_argument("--retry-after", type=int, default=1)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--no-kill", action="store_true", help="keep every worker alive")
    parser.add_argument("--timeout", type=float, default=540.0, help="give up after, seconds")
    args = parser.parse_args(argv)

    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory() as tmp,
        SlackEmulator() as emulator,
        fresh_database() as url,
    ):
        workdir = Path(tmp)
        add_responders(emulator, args.incidents)
        incidents_channel = emulator.add_channel(
            "incidents", members=[responder(i) for i in range(args.incidents)]
        )
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "SLACK_BOT_TOKEN": emulator.bot_token,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": emulator.api_url,
            "FIREFIGHTER_INCIDENTS_CHANNEL": incidents_channel,
            "FIREFIGHTER_POSTMORTEM_DIR": str(workdir / "postmortems"),
            # The Slack this bench models has no tiers (see the docstring): no pacing either.
            "FIREFIGHTER_SLACK_PACING": "false",
            # Proposed settings (issue 6); ignored by a FireFighter that does not know them.
            "FIREFIGHTER_OUTBOX_LEASE_SECONDS": str(args.lease),
            "FIREFIGHTER_OUTBOX_THREADS": str(args.threads),
        }
        processes: list[subprocess.Popen[bytes]] = []

        def spawn(arguments: list[str], log_name: str) -> subprocess.Popen[bytes]:
            log = (workdir / log_name).open("wb")
            process = subprocess.Popen(
                [sys.executable, "-m", "firefighter.cli", *arguments],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=workdir,
            )
            processes.append(process)
            return process

        try:
            ports = [free_port() for _ in range(args.serve)]
            serves = [
                spawn(["serve", "--no-worker", "--port", str(port)], f"serve{n}.log")
                for n, port in enumerate(ports)
            ]
            workers = [spawn(["worker"], f"worker{n}.log") for n in range(args.workers)]
            for port, process in zip(ports, serves, strict=True):
                wait_listening(port, process, "firefighter serve")
            drivers = [
                SlackDriver(emulator, f"http://127.0.0.1:{port}/slack/events", SECRET, timeout=60)
                for port in ports
            ]
            settings = Settings(_env_file=None, database_url=url)
            core = build_core(settings)
            emulator.faults(
                rate_429=args.rate_429,
                rate_500=args.rate_500,
                slow_rate=args.slow_rate,
                slow_seconds=args.slow_seconds,
                retry_after=args.retry_after,
                seed=args.seed,
            )
            ready = time.monotonic()
            print(
                f"storm: {args.incidents} incidents × {args.updates} updates, "
                f"{args.serve} serve --no-worker + {args.workers} workers "
                f"({args.threads} delivery threads, lease {args.lease:g} s asked), "
                f"PostgreSQL {make_url(url).database}; started in {ready - started:.1f} s",
                flush=True,
            )
            print(SLACK_MODEL, flush=True)
            print(
                f"faults: 429 {args.rate_429:.0%} (Retry-After {args.retry_after} s), "
                f"500 {args.rate_500:.0%}, slow {args.slow_rate:.0%} ({args.slow_seconds:g} s)",
                flush=True,
            )
            watch = ChannelWatch(core.factory)
            scripts = [
                Script(
                    index=i,
                    drivers=drivers,
                    emulator=emulator,
                    channels=watch,
                    incidents_channel=incidents_channel,
                    updates=args.updates,
                    severity=severity_of(i),
                )
                for i in range(args.incidents)
            ]
            kill = Kill()
            killer: threading.Thread | None = None
            halfway = expected_items(args.incidents, args.updates) // 2
            if not args.no_kill and workers:

                def kill_one() -> None:
                    nonlocal kill
                    kill = kill_halfway(
                        core.factory, workers[0], halfway, ready, started + args.timeout / 2
                    )

                killer = threading.Thread(target=kill_one, name="killer", daemon=True)
                killer.start()
            with watch:
                play(scripts)
            played = time.monotonic()
            print(f"responders done in {played - ready:.1f} s", flush=True)
            if killer is not None:
                killer.join()
                print(
                    f"SIGKILL worker pid {kill.pid} at {kill.at:.1f} s, {kill.delivered} of "
                    f"~{halfway * 2} items delivered, while it held {kill.leases} lease(s); "
                    "nothing replaced it",
                    flush=True,
                )
            delivered, dead, pending = drain(core.factory, started + args.timeout)
            drained = time.monotonic()
            emulator.faults()
            print(
                f"outbox drained in {drained - ready:.1f} s: delivered {delivered}, "
                f"dead {dead}, pending {pending}",
                flush=True,
            )
            with core.factory() as session:
                retried = session.scalar(select(func.count()).where(OutboxItem.attempts > 0))
            commands = sum(s.sent for s in scripts)
            tries = sum(s.declare_tries for s in scripts)
            errors = [e for s in scripts for e in s.errors]
            outages = sum(s.outages for s in scripts)
            print(
                f"requests to serve: {commands} (declare forms tried {tries} times for "
                f"{args.incidents}); answered 'database unavailable' and tried again "
                f"{outages}; responder errors {len(errors)}; "
                f"outbox items retried at least once {retried}"
            )
            for error in errors[:10]:
                print(f"    responder error: {error}")
            for line in call_summary(emulator):
                print(line)
            result = audit(core, emulator, incidents_channel)
            core.close()
            for line in result.lines():
                print(line)
            lost = len(result.lost) + len(errors)
            duplicates = len(result.duplicates)
            print(f"wall time {time.monotonic() - started:.1f} s")
            print(f"storm_lost={lost} storm_duplicates={duplicates}")
            return 0 if lost == 0 and duplicates == 0 else 1
        finally:
            for process in processes:
                if process.poll() is None:
                    process.terminate()
            for process in processes:
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()


if __name__ == "__main__":
    raise SystemExit(main())
