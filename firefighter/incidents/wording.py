"""Sentences the core writes, with people and commands kept as values.

The core never writes a surface's markup: a sentence is a tuple of words (plain text),
`Person` (a user or user group id) and `Command` (what to type after the slash command).
Each surface fills them in its own way: Slack as mentions and the configured command, the
CLI and the post-mortem as names. A timeline row keeps its sentence in `data["words"]`
(JSON: a string, `{"person": id}` or `{"command": words}` per part) and the same sentence
read plainly in `text`, for readers that need no names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Person:
    """A user id (`U…`, `W…`) or a user group id (`S…`)."""

    id: str


@dataclass(frozen=True)
class Command:
    """What to type after the slash command, e.g. `role commander @you`."""

    words: str


Part = str | Person | Command
Words = tuple[Part, ...]


def people(words: Iterable[Part]) -> list[str]:
    """The ids of the people in `words`, in order, once each."""
    return list(dict.fromkeys(p.id for p in words if isinstance(p, Person)))


def listed(ids: Iterable[str], empty: str = "") -> Words:
    """`a, b, c` as words, each a person; `empty` when there is nobody."""
    out: list[Part] = []
    for ident in ids:
        if out:
            out.append(", ")
        out.append(Person(ident))
    return tuple(out) if out else ((empty,) if empty else ())


def fill(
    words: Iterable[Part],
    person: Callable[[str], str],
    command: Callable[[str], str],
    text: Callable[[str], str] = str,
) -> str:
    """`words` as one string: each person by `person(id)`, each command by `command(words)`,
    each run of text through `text` (a surface escapes it there)."""
    out: list[str] = []
    for part in words:
        if isinstance(part, Person):
            out.append(person(part.id))
        elif isinstance(part, Command):
            out.append(command(part.words))
        else:
            out.append(text(part))
    return "".join(out)


def plain(
    words: Iterable[Part],
    names: Mapping[str, str] | None = None,
    text: Callable[[str], str] = str,
) -> str:
    """`words` read plainly: a person as `@name` (`@id` without a name), a command quoted,
    each run of text through `text`."""
    known = names or {}
    return fill(words, lambda i: "@" + (known.get(i) or i), lambda w: f"`{w}`", text)


def to_json(words: Iterable[Part]) -> list[Any]:
    """`words` as JSON, for a timeline row's `data["words"]`."""
    out: list[Any] = []
    for part in words:
        if isinstance(part, Person):
            out.append({"person": part.id})
        elif isinstance(part, Command):
            out.append({"command": part.words})
        else:
            out.append(part)
    return out


def from_json(raw: Iterable[Any]) -> Words:
    """The words `to_json` wrote."""
    out: list[Part] = []
    for part in raw:
        if isinstance(part, dict) and "person" in part:
            out.append(Person(str(part["person"])))
        elif isinstance(part, dict) and "command" in part:
            out.append(Command(str(part["command"])))
        else:
            out.append(str(part))
    return tuple(out)


def event_words(text: str, data: Mapping[str, Any] | None) -> Words:
    """A timeline event's sentence: its words when it names people, else its text."""
    raw = (data or {}).get("words")
    return from_json(raw) if isinstance(raw, list) else (text or "",)


def event_record(words: Words, data: Mapping[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
    """The `text` and `data` of a timeline row saying `words`: `data["words"]` only when a
    person or a command is in it, so most rows stay a plain text."""
    out = dict(data or {})
    if any(not isinstance(p, str) for p in words):
        out["words"] = to_json(words)
    return plain(words), out
