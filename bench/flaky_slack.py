"""Effects that finish while Slack flaps: time from declaring to a usable incident.

Two runs against the Slack emulator, one bot (HTTP + delivery threads) on a fresh database:

1. *20 % faults*: every Web API call answers 429 (Retry-After: 1) one time in ten and 500 one
   time in ten. N responders (40) declare an incident each, one every 3 s (the pace Slack's
   Tier 2 allows `conversations.create`; bench/burst.py measures a burst against the
   tiers), then post updates. For each
   incident: seconds from the modal's submission until its channel, pinned card and
   announcement all exist; for each update, seconds until it shows in the channel.
2. *50 % faults for a while, then none*: the same, with half the calls failing until
   `--outage` seconds have passed; then how long after the recovery everything is there.

Both runs end with the storm bench's audit (one channel, card and announcement per incident,
every event posted once, no dead letters). Targets: p99 ready ≤ 30 s under 20 %, converged
within 60 s of the recovery, no duplicates, no dead letter. The last line is
`p99_announce_s=… duplicates=… dead=…`.

    .venv/bin/python bench/flaky_slack.py [--incidents 40] [--within 120] [--updates 2]
        [--outage 120]
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
from firefighter.settings import Settings
from tests.load.flaky import describe, percentile, run_flaky


def main(argv: Sequence[str] | None = None) -> int:
    """Run both scenarios and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=40)
    parser.add_argument("--updates", type=int, default=2)
    parser.add_argument("--outage", type=float, default=120.0)
    # Declarations arrive one every 3 s, the pace of conversations.create's Tier 2: this
    # bench is about faults; bench/burst.py is about a burst against the tiers.
    parser.add_argument("--within", type=float, default=120.0)
    args = parser.parse_args(argv)
    # Each failed attempt is logged as a warning by the worker; here they are the point.
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory() as folder:
        runs = []
        for name, rate, outage in (("20%", 0.2, 0.0), ("50%-then-0", 0.5, args.outage)):
            url = f"sqlite:///{folder}/{name.replace('%', 'pc')}.db"
            upgrade(url)
            settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
            t0 = time.monotonic()
            result = run_flaky(
                settings,
                incidents=args.incidents,
                updates=args.updates,
                rate=rate,
                outage_s=outage,
                deadline_s=args.within + outage + 240.0,
                within_s=args.within,
            )
            for line in describe(name, result):
                print(line, flush=True)
            print(f"{name}: wall {time.monotonic() - t0:.0f} s", flush=True)
            runs.append(result)
    first = runs[0]
    duplicates = sum(r.duplicates for r in runs)
    dead = sum(r.dead for r in runs)
    print(
        f"p99_announce_s={percentile(first.ready_s, 0.99):.1f} duplicates={duplicates} dead={dead}"
    )
    return 0 if duplicates == 0 and dead == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
