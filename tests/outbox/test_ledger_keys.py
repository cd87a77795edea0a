"""The processed-requests ledger tells long keys apart (they were cut to 200 characters)."""

from __future__ import annotations

from firefighter.bootstrap import Core
from firefighter.outbox.idempotency import remember, seen
from firefighter.outbox.models import KEY_MAX, ledger_key


def test_two_long_keys_that_share_their_start_are_two_entries(core: Core) -> None:
    start = "command:update:" + "x" * 300
    first, second = f"{start}:1", f"{start}:2"
    assert remember(core.factory, first)
    assert not seen(core.factory, second)
    assert remember(core.factory, second)
    assert not remember(core.factory, first)
    assert seen(core.factory, first) and seen(core.factory, second)


def test_a_key_that_fits_is_stored_as_it_is() -> None:
    assert ledger_key("alert-card:12:3") == "alert-card:12:3"
    assert len(ledger_key("k" * 1000)) == KEY_MAX
