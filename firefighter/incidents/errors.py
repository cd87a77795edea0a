"""Domain errors. Each message is a sentence a user can act on."""

from __future__ import annotations

from firefighter.incidents.wording import Part, Words, plain


class IncidentError(Exception):
    """Base of every refusal the service gives.

    Its sentence is `words`, people and commands kept as values: a surface fills them in
    (Slack mentions, names); `str(error)` reads it plainly.
    """

    def __init__(self, *words: Part) -> None:
        super().__init__(plain(words))
        self.words: Words = words


class NotFound(IncidentError):
    """No incident with that id."""


class InvalidInput(IncidentError):
    """A value the user typed is not acceptable.

    `field` names the command's argument at fault (`title`, `component`, `started_at`…) when
    there is one, so a form shows the sentence under that field without reading the text.
    """

    def __init__(self, *words: Part, field: str | None = None) -> None:
        super().__init__(*words)
        self.field = field


class TransitionRefused(IncidentError):
    """The lifecycle does not allow that move now."""

    def __init__(self, *words: Part, status: str, allowed: list[str]) -> None:
        super().__init__(*words)
        self.status = status
        self.allowed = allowed


class Conflict(IncidentError):
    """Someone else changed the incident since it was read; nothing was written."""


class AlreadyProcessed(IncidentError):
    """The same request was handled before; nothing was written this time."""
