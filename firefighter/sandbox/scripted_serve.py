"""`firefighter serve` on a scripted clock, for the demo only: `python -m` this module.

The demo runs the bot as another process and moves its time forward by rewriting a file
that holds seconds to add to the wall clock, so that the incident it plays spans tens of
minutes in a few seconds. Nothing in the product reads that file: it is not a setting.
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path

from firefighter.bootstrap import build_core
from firefighter.db import utcnow
from firefighter.serving import run_server
from firefighter.settings import load_settings


class OffsetClock:
    """The wall clock shifted by the seconds written in `path` (0 when unreadable)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self) -> datetime:
        try:
            offset = float(self.path.read_text().strip() or 0)
        except (OSError, ValueError):
            offset = 0.0
        return utcnow() + timedelta(seconds=offset)


def main(argv: list[str]) -> None:
    """`scripted_serve CLOCK_FILE PORT`: serve on 127.0.0.1:PORT with the worker."""
    clock_file, port = Path(argv[0]), int(argv[1])
    core = build_core(load_settings(), clock=OffsetClock(clock_file))
    try:
        # No console: the banner goes to the log as a JSON line like everything else.
        run_server(core, host="127.0.0.1", port=port, with_worker=True)
    finally:
        core.close()


if __name__ == "__main__":
    main(sys.argv[1:])
