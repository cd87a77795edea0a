"""Listeners, the console, the API and the CLI read through the core's read side.

They get plain frozen data from query functions (`incidents/read.py`, `incidents/listing.py`,
`incidents/read_lists.py`) and write through the services; none opens a session itself.
The few that still do own their tables or are infrastructure, and say so below.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "firefighter"
READERS = ("slack/listeners", "slack/context.py", "slack/blocks", "web", "cli")

OPENS_A_SESSION = re.compile(r"\bfactory\(\)|\btransaction\(|\.begin\(\)")

STILL_OPEN = {
    # API tokens and Idempotency-Keys are the web adapter's own tables (web/api/models.py):
    # the core may not import them, so the adapter reads and writes them itself.
    "web/api/tokens.py": 4,
    "web/api/routes.py": 1,
    # Outbox administration is infrastructure below the core, not incident data.
    "cli/outbox.py": 2,
    "cli/stats.py": 1,
}


def opened(text: str) -> int:
    """How many places in `text` open a session or a transaction."""
    return len(OPENS_A_SESSION.findall(text))


def sources() -> list[Path]:
    found: list[Path] = []
    for name in READERS:
        path = ROOT / name
        found += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return found


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_adapters_read_through_the_read_side(path: Path) -> None:
    name = str(path.relative_to(ROOT))
    text = path.read_text(encoding="utf-8")
    assert opened(text) == STILL_OPEN.get(name, 0), f"{name} opens a session itself"


@pytest.mark.parametrize(
    "line",
    [
        "with ctx.factory() as session:",
        "with core() as opened, opened.factory() as session:",
        "with transaction(factory) as session:",
        "with session.begin():",
    ],
)
def test_the_check_sees_each_way_of_opening_a_session(line: str) -> None:
    assert opened(line) == 1
