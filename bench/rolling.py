"""Rolling restarts lose and repeat nothing: the storm of `bench/storm.py` under a rollout.

The same storm (N incidents declared at once, each with updates and a walk to closed, Slack
answering 429, 500 and slowly) runs on `--serve` `firefighter serve --no-worker` and
`--workers` `firefighter worker` processes sharing one fresh PostgreSQL database. Meanwhile
every process is replaced, one at a time, the way a Kubernetes rolling update with
`maxSurge: 1, maxUnavailable: 0` does it: a fresh process is started and waited for (a serve
until it accepts connections, a worker until it says it started), the load balancer stops
sending to the old one (a short deregistration delay, as endpoints propagate), then the old
process gets SIGTERM and must exit by itself. `--rounds` times over (2 by default).

When the outbox is empty the bench audits Slack against the database as the storm does. The
last line is `rolling_lost=<n> rolling_duplicates=<n> dead=<n> max_stop_s=<seconds>`, where
max_stop_s is the longest time any process took from SIGTERM to exit.

Which Slack it models: the emulator WITHOUT Slack's rate-limit tiers, and the bot's
pacing OFF (the bench sets FIREFIGHTER_SLACK_PACING=false for its processes itself,
whatever the shell says). It measures leases, retries and restarts under 429s and 500s
drawn at random, not Slack's pace: 200 channels at `conversations.create`'s Tier 2 (20 a
minute) would take ten minutes by themselves. bench/burst.py and bench/containment.py
measure the pace, with the tiers on.

    .venv/bin/python bench/rolling.py [--incidents 200] [--updates 10] [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import overload

# `python bench/rolling.py` puts bench/ first on the path; the storm is imported as a package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import make_url

from bench.storm import SECRET, SLACK_MODEL, call_summary, drain
from firefighter.bootstrap import build_core
from firefighter.emulators.slack import SlackDriver, SlackEmulator
from firefighter.settings import Settings
from tests.load.audit import audit, outbox_state
from tests.load.processes import Fleet, Process, StopTooSlow, fresh_database
from tests.load.responders import (
    ChannelWatch,
    Script,
    add_responders,
    expected_items,
    play,
    responder,
    severity_of,
)

DEREGISTRATION_SECONDS = 0.5
"""Between taking a serve out of the balancer and SIGTERM: requests already sent still land."""


class Balancer(Sequence[SlackDriver]):
    """The drivers responders send through, one per serve; a rollout swaps them in place."""

    def __init__(self, drivers: list[SlackDriver]) -> None:
        self._drivers = drivers
        self._lock = threading.Lock()

    @overload
    def __getitem__(self, index: int) -> SlackDriver: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[SlackDriver]: ...
    def __getitem__(self, index: int | slice) -> SlackDriver | Sequence[SlackDriver]:
        with self._lock:
            return self._drivers[index]

    def __len__(self) -> int:
        return len(self._drivers)

    def swap(self, index: int, driver: SlackDriver) -> None:
        """Send what went to the `index`-th serve to `driver` from now on."""
        with self._lock:
            self._drivers[index] = driver


@dataclass
class Rollout:
    """Replaces every process, one at a time, `rounds` times; what it did and how long."""

    fleet: Fleet
    serves: list[Process]
    workers: list[Process]
    balancer: Balancer
    driver_for: Callable[[str], SlackDriver]
    rounds: int
    pause: float
    replaced: int = 0
    errors: list[str] = field(default_factory=list)

    def _serve(self, index: int) -> None:
        fresh = self.fleet.serve()
        self.balancer.swap(index, self.driver_for(fresh.url))
        time.sleep(DEREGISTRATION_SECONDS)
        old, self.serves[index] = self.serves[index], fresh
        self.fleet.stop(old)

    def _worker(self, index: int) -> None:
        fresh = self.fleet.worker()
        old, self.workers[index] = self.workers[index], fresh
        self.fleet.stop(old)

    def run(self) -> None:
        """Every serve, then every worker, `rounds` times."""
        try:
            for _ in range(self.rounds):
                for index in range(len(self.serves)):
                    self._serve(index)
                    self.replaced += 1
                    time.sleep(self.pause)
                for index in range(len(self.workers)):
                    self._worker(index)
                    self.replaced += 1
                    time.sleep(self.pause)
        except (StopTooSlow, SystemExit) as error:
            self.errors.append(str(error))


@dataclass
class Outcome:
    """What `run` measured."""

    lost: int
    duplicates: int
    dead: int
    max_stop_s: float
    replaced: int
    lines: list[str]

    @property
    def last_line(self) -> str:
        """The bench's verdict."""
        return (
            f"rolling_lost={self.lost} rolling_duplicates={self.duplicates} dead={self.dead} "
            f"max_stop_s={self.max_stop_s:.1f}"
        )


def run(args: argparse.Namespace, say: Callable[[str], None] = print) -> Outcome:
    """The storm under a rollout; `say` gets progress lines."""
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
            "FIREFIGHTER_OUTBOX_LEASE_SECONDS": str(args.lease),
            "FIREFIGHTER_OUTBOX_THREADS": str(args.threads),
        }
        fleet = Fleet(env, workdir)
        try:
            serves = [fleet.serve() for _ in range(args.serve)]
            workers = [fleet.worker() for _ in range(args.workers)]

            def driver_for(target: str) -> SlackDriver:
                return SlackDriver(emulator, target, SECRET, timeout=60)

            balancer = Balancer([driver_for(s.url) for s in serves])
            core = build_core(Settings(_env_file=None, database_url=url))  # type: ignore[call-arg]
            emulator.faults(
                rate_429=args.rate_429,
                rate_500=args.rate_500,
                slow_rate=args.slow_rate,
                slow_seconds=args.slow_seconds,
                retry_after=args.retry_after,
                seed=args.seed,
            )
            ready = time.monotonic()
            say(SLACK_MODEL)
            say(
                f"rolling: {args.incidents} incidents × {args.updates} updates on "
                f"{args.serve} serve --no-worker + {args.workers} workers, each replaced "
                f"{args.rounds} times; PostgreSQL {make_url(url).database}; "
                f"started in {ready - started:.1f} s"
            )
            watch = ChannelWatch(core.factory)
            scripts = [
                Script(
                    index=i,
                    drivers=balancer,
                    emulator=emulator,
                    channels=watch,
                    incidents_channel=incidents_channel,
                    updates=args.updates,
                    severity=severity_of(i),
                    channel_timeout=args.timeout / 2,
                    think=args.think,
                )
                for i in range(args.incidents)
            ]
            rollout = Rollout(fleet, serves, workers, balancer, driver_for, args.rounds, args.pause)
            # Start rolling once deliveries are under way, so every restart finds work held.
            first = max(expected_items(args.incidents, args.updates) // 20, 1)

            def roll() -> None:
                deadline = time.monotonic() + args.timeout / 2
                while outbox_state(core.factory)[0] < first and time.monotonic() < deadline:
                    time.sleep(0.1)
                rollout.run()

            roller = threading.Thread(target=roll, name="rollout", daemon=True)
            roller.start()
            with watch:
                play(scripts)
            say(f"responders done in {time.monotonic() - ready:.1f} s")
            roller.join(args.timeout)
            say(
                f"rollout: {rollout.replaced} replacements, SIGTERM to exit "
                + ", ".join(f"{t:.1f}" for t in fleet.stop_times)
                + f" s; leases handed back at SIGTERM {fleet.handed_back()}"
            )
            delivered, dead, pending = drain(core.factory, started + args.timeout)
            emulator.faults()
            say(f"outbox: delivered {delivered}, dead {dead}, pending {pending}")
            errors = [e for s in scripts for e in s.errors] + rollout.errors
            errors += [f"traceback in {name}" for name in fleet.tracebacks()]
            for error in errors[:10]:
                say(f"    error: {error}")
            lines = call_summary(emulator)
            result = audit(core, emulator, incidents_channel)
            core.close()
            lines += result.lines()
            for line in lines:
                say(line)
            expected = args.rounds * (args.serve + args.workers)
            missing = max(expected - rollout.replaced, 0)
            return Outcome(
                lost=len(result.lost) + len(errors) + missing,
                duplicates=len(result.duplicates),
                dead=dead,
                max_stop_s=max(fleet.stop_times, default=0.0),
                replaced=rollout.replaced,
                lines=lines,
            )
        finally:
            fleet.close()


def parser() -> argparse.ArgumentParser:
    """The bench's options."""
    parse = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parse.add_argument("--incidents", type=int, default=200)
    parse.add_argument("--updates", type=int, default=10)
    parse.add_argument("--serve", type=int, default=2, help="serve --no-worker processes")
    parse.add_argument("--workers", type=int, default=2, help="worker processes")
    parse.add_argument("--threads", type=int, default=8, help="delivery threads per worker")
    parse.add_argument("--rounds", type=int, default=2, help="times every process is replaced")
    parse.add_argument("--pause", type=float, default=5.0, help="seconds between replacements")
    parse.add_argument(
        "--think", type=float, default=0.0, help="seconds a responder waits between commands"
    )
    parse.add_argument("--lease", type=float, default=30.0, help="outbox lease, seconds")
    parse.add_argument("--rate-429", type=float, default=0.2)
    parse.add_argument("--rate-500", type=float, default=0.05)
    parse.add_argument("--slow-rate", type=float, default=0.02)
    parse.add_argument("--slow-seconds", type=float, default=2.0)
    parse.add_argument("--retry-after", type=int, default=1)
    parse.add_argument("--seed", type=int, default=6)
    parse.add_argument("--timeout", type=float, default=600.0, help="give up after, seconds")
    return parse


def main(argv: Sequence[str] | None = None) -> int:
    """Run the bench; the exit code is 1 when anything was lost, repeated or dead."""
    outcome = run(parser().parse_args(argv), say=lambda line: print(line, flush=True))
    print(outcome.last_line)
    return 0 if outcome.lost == outcome.duplicates == outcome.dead == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
