"""What tests and the demo read back from the emulator: the calls made, the transcript of
what people saw, and waiting for either to reach a condition."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import TypeVar

from firefighter.emulators.slack.blockkit import blocks_text
from firefighter.emulators.slack.model import Call, TranscriptEntry
from firefighter.emulators.slack.state import EmulatorState

T = TypeVar("T")


class CallLog(EmulatorState):
    """The call log and the transcript."""

    @property
    def calls(self) -> list[Call]:
        """Every Web API call so far, oldest first."""
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        """The calls made to one Web API method."""
        with self._lock:
            return [call for call in self._calls if call.method == method]

    def clear_calls(self) -> None:
        """Forget recorded calls (state is kept)."""
        with self._lock:
            self._calls.clear()

    def transcript(self) -> list[TranscriptEntry]:
        """Everything visible that happened, in order."""
        with self._lock:
            return copy.deepcopy(self._log)

    def format_transcript(self) -> str:
        """The transcript as human-readable lines (for `make demo`)."""
        lines: list[str] = []
        for entry in self.transcript():
            clock = time.strftime("%H:%M:%S", time.localtime(entry.at))
            where = entry.channel_name or entry.channel_id or "-"
            if entry.channel_name and not entry.channel_name.startswith("@"):
                where = f"#{entry.channel_name}"
            rendered = blocks_text(entry.blocks)
            body = rendered or entry.text
            if entry.text and rendered and entry.text not in rendered:
                # Blocks holding only buttons would otherwise hide what the message says.
                body = f"{entry.text}\n{rendered}"
            audience = f" (only visible to {entry.audience})" if entry.audience else ""
            first, *rest = body.split("\n")
            lines.append(f"{clock} {where:<28} {entry.kind:<15} {entry.author}{audience}: {first}")
            lines.extend(f"{'':>{9 + 28 + 1 + 15}} {line}" for line in rest)
        return "\n".join(lines)

    def wait_for(self, predicate: Callable[[], T], timeout: float = 5.0) -> T:
        """Block until `predicate()` is truthy (re-checked on every state change); return it."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                result = predicate()
                if result:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"condition not met within {timeout} s")
                self._changed.wait(min(remaining, 0.1))

    def wait_for_calls(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Block until at least `count` calls to `method` were made; return them."""
        return self.wait_for(
            lambda: calls if len(calls := self.calls_to(method)) >= count else [], timeout
        )

    def note_user_action(self, kind: str, channel_id: str | None, user_id: str, text: str) -> None:
        """Add what a user did (command, click, submit...) to the transcript."""
        with self._lock:
            channel = self._channels.get(channel_id or "")
            self._record(kind, channel, user_id, text)
