"""A burst of declarations under Slack's rate-limit tiers, against the floor the tiers set.

50 responders declare an incident each within 5 s; the Slack emulator applies Slack's
per-method tiers (`conversations.create` Tier 2 ≈ 20/min, `pins.add` and `setTopic` Tier 2,
`chat.update` Tier 3, `chat.postMessage` ≈ 1/s per channel with a short burst). For each
incident: seconds from the modal's submission to its announcement, and to its channel being
ready (channel, pinned card, announcement). The floor is the earliest each announcement
could appear given the tiers alone (channel creation's pace and the incidents channel's
posting pace), computed from the same submission times.

Slack calls per declared incident leave out `auth.test` (once per worker, to learn the bot's
own id) and `views.open` (the declare form, opened while the user types, before anything is
declared). The last line is `floor_ratio=<announcement p99 / floor p99> calls_per_incident=<n>`.

    .venv/bin/python bench/burst.py [--incidents 50] [--within 5]
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: the shared parts live under tests/
    sys.path.insert(0, str(ROOT))

from firefighter.db import upgrade
from firefighter.emulators.slack.rate_limits import PER_MINUTE, POST_BURST, POST_PER_SECOND, TIERS
from firefighter.settings import Settings
from tests.load.flaky import describe, percentile, run_flaky

EXCLUDED = ("auth.test", "views.open")


def floors(submitted: Sequence[float]) -> list[float]:
    """Per incident (in submission order), the least seconds from its submission to its
    announcement that the tiers allow."""
    create_burst = PER_MINUTE[TIERS["conversations.create"]]
    create_gap = 60.0 / create_burst
    start = min(submitted, default=0.0)
    out = []
    for index, at in enumerate(sorted(submitted)):
        # The i-th channel exists no sooner than the create bucket allows…
        created = start + max(0.0, index + 1 - create_burst) * create_gap
        # …and the i-th announcement waits for the incidents channel's posting pace.
        posted = start + max(0.0, index + 1 - POST_BURST) / POST_PER_SECOND
        out.append(max(created, posted, at) - at)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Run the burst and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=50)
    parser.add_argument("--within", type=float, default=5.0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/burst.db"
        upgrade(url)
        settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
        started = time.monotonic()
        result = run_flaky(
            settings,
            incidents=args.incidents,
            updates=0,
            rate=0.0,
            rate_limits=True,
            within_s=args.within,
            deadline_s=300.0,
        )
    wall = time.monotonic() - started
    for line in describe("burst", result):
        print(line, flush=True)
    announce = result.announced_s
    floor = floors(list(result.submitted.values()))
    declared = max(1, len(result.submitted))
    calls = {m: n for m, n in result.calls.items() if m not in EXCLUDED}
    total = sum(calls.values())
    print(
        f"announcement after submission: p50 {percentile(announce, 0.5):.1f} s, "
        f"p99 {percentile(announce, 0.99):.1f} s; floor p50 {percentile(floor, 0.5):.1f} s, "
        f"p99 {percentile(floor, 0.99):.1f} s"
    )
    print(
        f"channel ready after submission: p50 {percentile(result.ready_s, 0.5):.1f} s, "
        f"p99 {percentile(result.ready_s, 0.99):.1f} s"
    )
    print(
        "Slack calls (auth.test and views.open left out): "
        + ", ".join(f"{m} {n}" for m, n in sorted(calls.items(), key=lambda kv: -kv[1]))
    )
    print(
        "left out: "
        + ", ".join(f"{m} {result.calls.get(m, 0)}" for m in EXCLUDED)
        + f"; wall {wall:.0f} s"
    )
    ratio = percentile(announce, 0.99) / max(percentile(floor, 0.99), 1e-9)
    print(f"floor_ratio={ratio:.2f} calls_per_incident={total / declared:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
