"""Named fault-injection points: the places where a delivery may die half-way.

At-least-once delivery is only as good as what happens when a worker dies between doing
something outside (a Slack post, a Confluence page) and recording that it did. The code reaches
each such place by name (`faults.reach(CARD_POSTED, key)`); nothing is armed in production, so
a point costs one dictionary lookup. A test arms a point with an action (raise, wait on a
barrier) instead of patching a method by its name: renaming a method cannot silently disarm a
test, and arming a point that does not exist is refused.

The composition root builds one `Faults` per core and hands it to the dispatcher, the service
and the handlers by constructor.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

CHANNEL_CREATED = "slack.channel_created"
"""The incident's channel exists in Slack; its id is not recorded yet."""
CARD_POSTED = "slack.card_posted"
"""The incident card is posted; its ts is not recorded yet."""
ANNOUNCEMENT_POSTED = "slack.announcement_posted"
"""The announcement is posted; its ts is not recorded yet."""
POSTED_UNMARKED = "slack.posted_unmarked"
"""A keyed post (detail: its key) is made; it is not marked as posted yet."""
BOARD_POSTED = "gameday.board_posted"
"""A Game Day's board is posted; its ts is not recorded yet."""
PAGE_PUBLISHED = "postmortem.page_published"
"""The post-mortem page is published; the incident does not know its URL yet."""
HANDLED = "outbox.handled"
"""A handler returned (detail: the item's kind); the item is not marked delivered yet."""
OUTCOME_RECORDED = "outbox.outcome_recorded"
"""What a handler reported is written and the item marked delivered; not committed yet."""
INCIDENT_LOADED = "incidents.loaded"
"""A command read the incident it changes; it has not written yet."""

POINTS = frozenset(
    {
        CHANNEL_CREATED,
        CARD_POSTED,
        ANNOUNCEMENT_POSTED,
        POSTED_UNMARKED,
        BOARD_POSTED,
        PAGE_PUBLISHED,
        HANDLED,
        OUTCOME_RECORDED,
        INCIDENT_LOADED,
    }
)

Action = Callable[[str], None]
"""What an armed point does; it gets the point's detail (a key, a kind, or "")."""


class UnknownPoint(ValueError):
    """Arming a name the code never reaches: the test would pass without a fault."""


class Faults:
    """The armed points of one core; every thread of the process shares it."""

    def __init__(self, *, armable: bool = True) -> None:
        self._armable = armable
        self._armed: dict[str, Action] = {}
        self._lock = threading.Lock()

    def arm(self, point: str, action: Action) -> None:
        """From now on, reaching `point` runs `action` (which may raise)."""
        if point not in POINTS:
            raise UnknownPoint(f"no fault point named {point!r}; known: {sorted(POINTS)}")
        if not self._armable:
            raise RuntimeError("NO_FAULTS is shared; build the core with its own Faults()")
        with self._lock:
            self._armed[point] = action

    def disarm(self, point: str) -> None:
        """Reaching `point` does nothing again."""
        with self._lock:
            self._armed.pop(point, None)

    def reach(self, point: str, detail: str = "") -> None:
        """The code is at `point`: run its action if a test armed it."""
        action = self._armed.get(point)
        if action is not None:
            action(detail)


NO_FAULTS = Faults(armable=False)
"""For code built without a composition root (a bench, a one-off script): nothing armed."""
