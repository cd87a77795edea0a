"""The demo's PagerDuty: Payments on call, the page of the SEV1, its acknowledgement.

A PagerDuty emulator on loopback stands in for PagerDuty; `serve` pages it through the
Events API v2 and hears back through the signed v3 webhook at `/alerts/pagerduty`.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from firefighter.emulators.pagerduty import PagerDutyEmulator, PdUser
from firefighter.emulators.slack import SlackEmulator

ON_CALL = ("U04DANA", "dana", "Dana Reyes", "dana@example.com")

PAGING_FILE = """\
# The demo's paging: SEV1 and SEV2 page Payments' on-call at declaration.
services:
  Payments:
    pagerduty:
      routing_key: {routing_key}
      escalation_policy: PPAYMENTS
components:
  payments: Payments
default: Payments
"""


@dataclass
class DemoPaging:
    """The emulator, the on-call person, and the environment `serve` needs."""

    pagerduty: PagerDutyEmulator
    on_call: PdUser
    env: dict[str, str]


def scripted_clock(clock_file: Path) -> Callable[[], datetime]:
    """The bot's scripted time (see sandbox/scripted_serve.py), so both sides agree."""

    def now() -> datetime:
        try:
            offset = float(clock_file.read_text() or 0)
        except (OSError, ValueError):
            offset = 0.0
        return datetime.fromtimestamp(time.time() + offset, UTC)

    return now


@contextmanager
def demo_paging(folder: Path, slack: SlackEmulator, clock_file: Path) -> Iterator[DemoPaging]:
    """Start the PagerDuty emulator with Dana on call for Payments (also a Slack user)."""
    secret = secrets.token_hex(16)
    with PagerDutyEmulator(clock=scripted_clock(clock_file)) as pagerduty:
        user_id, name, real_name, email = ON_CALL
        slack.add_user(user_id, name, display_name="", real_name=real_name, email=email)
        dana = pagerduty.add_user(real_name, email)
        key = pagerduty.add_service("Payments", "PPAYMENTS")
        pagerduty.put_on_call("PPAYMENTS", dana, hours=24, since=8)
        config = folder / "paging.yml"
        config.write_text(PAGING_FILE.format(routing_key=key), encoding="utf-8")
        pagerduty.webhook_secret = secret
        env = {
            "FIREFIGHTER_PAGING": str(config),
            "PAGERDUTY_EVENTS_URL": pagerduty.url,
            "PAGERDUTY_API_URL": pagerduty.url,
            "PAGERDUTY_API_TOKEN": pagerduty.token,
            "PAGERDUTY_WEBHOOK_SECRET": secret,
        }
        yield DemoPaging(pagerduty, dana, env)
