"""The YAML files people write (Game Days, alert rules, paging): read once, every mistake
reported with its line, so that a file is fixed in one pass rather than one error at a time.

Each file's own checks stay with its model; what is here is what they all need: the parse,
the line of any path in the document, and the `file:line: path: message` form of a mistake.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One mistake in the file: where (line and path) and what to do about it."""

    line: int | None
    where: str
    message: str

    def render(self, source: str) -> str:
        """`game.yaml:12: scenarios[1].severity: unknown severity 'SEV9'; …`."""
        at = f"{source}:{self.line}" if self.line else source
        return f"{at}: {self.where}: {self.message}" if self.where else f"{at}: {self.message}"


class SpecError(Exception):
    """The file has mistakes; `problems` lists each with its line."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = list(problems)
        super().__init__("\n".join(p.render(source) for p in self.problems))

    def first_line(self, setting: str) -> str:
        """One line for a start-up error: the first mistake, and how many more there are."""
        first = self.problems[0].render(self.source)
        more = len(self.problems) - 1
        and_more = f" (and {more} more mistake{'s' if more > 1 else ''})" if more else ""
        return f"{setting}: {first}{and_more}"


def where(loc: Iterable[str | int]) -> str:
    """`scenarios[1].severity` for the path ("scenarios", 1, "severity")."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


class Lines:
    """Line numbers (1-based) of every mapping key and sequence item, by path."""

    def __init__(self, root: yaml.Node) -> None:
        self.lines: dict[Loc, int] = {(): root.start_mark.line + 1}
        self.duplicates: list[Problem] = []
        self._walk(root, ())

    def _walk(self, node: yaml.Node, path: Loc) -> None:
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                key = str(key_node.value)
                here = (*path, key)
                if key in seen:
                    self.duplicates.append(
                        Problem(key_node.start_mark.line + 1, where(here), "this key is repeated")
                    )
                seen.add(key)
                self.lines.setdefault(here, key_node.start_mark.line + 1)
                self._walk(value_node, here)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                here = (*path, index)
                self.lines[here] = item.start_mark.line + 1
                self._walk(item, here)

    def of(self, loc: Iterable[str | int]) -> int:
        """The line of `loc`, or of its nearest ancestor present in the file."""
        path = tuple(part for part in loc if part != "[key]")
        while path not in self.lines:
            path = path[:-1]
        return self.lines[path]


def parse_yaml(text: str, source: str) -> tuple[Any, Lines | None]:
    """The document's data and the lines of its paths (None for an empty document)."""
    loader: yaml.SafeLoader | None = None
    try:
        loader = yaml.SafeLoader(text)
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        raise SpecError(source, [Problem(line, "", f"not valid YAML: {error.problem}")]) from None
    except yaml.YAMLError as error:
        # A control character, say: the reader fails before any line is known.
        detail = str(error).splitlines()[0]
        raise SpecError(source, [Problem(None, "", f"not valid YAML: {detail}")]) from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, (Lines(root) if root is not None else None)


def read_text(path: Path) -> str:
    """The file's text; SpecError saying why it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SpecError(str(path), [Problem(None, "", f"cannot read the file: {error}")]) from None


def validation_problems(
    error: ValidationError,
    lines: Lines,
    message: Callable[[dict[str, Any], Loc], str],
) -> list[Problem]:
    """pydantic's errors as problems with lines. A location part naming a union member or a
    tagged choice (`function-after[…]`, `[key]`) is not a place in the file: it is dropped."""
    problems = []
    for item in error.errors():
        loc = tuple(p for p in item["loc"] if not (isinstance(p, str) and "[" in p))
        problems.append(Problem(lines.of(loc), where(loc), message(dict(item), loc)))
    return problems
