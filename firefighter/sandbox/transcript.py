"""The emulator's record of a run, printed as a reader of Slack would have seen it.

Mentions read as names and emoji as characters, forms with what they were prefilled with,
reactions as reactions, pins as pins, files by name, and every line stamped with the time
the bot lived in (the demo's scripted clock), in the configured zone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from typing import Any

import emoji
from rich.console import Console
from rich.text import Text

from firefighter.emulators.slack import SlackEmulator, TranscriptEntry

# Slack's own names for a few emoji the bot uses that the `emoji` package calls otherwise.
SLACK_ONLY = {
    ":first_place_medal:": "🥇",
    ":second_place_medal:": "🥈",
    ":third_place_medal:": "🥉",
    ":large_green_circle:": "🟢",
    ":large_blue_circle:": "🔵",
    ":large_orange_circle:": "🟠",
    ":large_yellow_circle:": "🟡",
}

KIND_LABEL = {
    "update": "updated in place",
    "ephemeral": "only the sender sees this",
    "response": "only the sender sees this",
    "view_opened": "a form opens",
    "topic": "channel topic",
}

# What the driver notes for a shortcut, as a person would say it.
SHORTCUTS = {
    "declare_from_message": "Declare an incident",
    "add_to_timeline": "Add to incident timeline",
    "create_followup": "Add a follow-up",
}

Clock = Callable[[float], float]


def as_characters(text: str) -> str:
    """`:pushpin:` and the like as the characters Slack draws."""
    for code, character in SLACK_ONLY.items():
        text = text.replace(code, character)
    return str(emoji.emojize(text, language="alias"))


def readable(text: str, emulator: SlackEmulator, zone: tzinfo = UTC) -> str:
    """mrkdwn as Slack would display it: names for mentions, dates, link labels, emoji."""

    def person(match: re.Match[str]) -> str:
        found = emulator.user(match.group(1))
        return "@" + (found.name if found is not None else match.group(1))

    def channel(match: re.Match[str]) -> str:
        try:
            return "#" + emulator.channel(match.group(1)).name
        except KeyError:
            return "#" + match.group(1)

    def date(match: re.Match[str]) -> str:
        # Slack shows a date token in the reader's zone; the demo's reader is in `zone`.
        at = datetime.fromtimestamp(int(match.group(1)), zone)
        return at.strftime("%Y-%m-%d %H:%M")

    text = re.sub(r"<@([UW][A-Z0-9_]+)(?:\|[^>]*)?>", person, text)
    text = re.sub(r"<#([CG][A-Z0-9]+)(?:\|[^>]*)?>", channel, text)
    text = re.sub(r"<!date\^(\d+)\^[^>]*>", date, text)
    text = re.sub(r"<([a-z]+://[^|>]+)\|([^>]*)>", r"\2 (\1)", text)
    text = re.sub(r"<([a-z]+://[^|>]+)>", r"\1", text)
    text = re.sub(r"\*([^*\n]+)\*", r"\1", text)
    text = as_characters(text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _prefilled(element: dict[str, Any], zone: tzinfo) -> str:
    """What an input shows when the form opens: its initial value, else a blank."""
    if element.get("initial_value"):
        return str(element["initial_value"]).replace("\n", " ⏎ ")
    if element.get("initial_option"):
        return str(element["initial_option"]["text"]["text"])
    if element.get("initial_options"):
        return ", ".join("☑ " + str(o["text"]["text"]) for o in element["initial_options"])
    if element.get("initial_date_time"):
        at = datetime.fromtimestamp(int(element["initial_date_time"]), zone)
        return at.strftime("%Y-%m-%d %H:%M")
    if element.get("initial_user"):
        return f"<@{element['initial_user']}>"
    if element.get("type") == "checkboxes":
        return ", ".join("☐ " + str(o["text"]["text"]) for o in element.get("options", []))
    return "____"


def render_blocks(blocks: list[dict[str, Any]], zone: tzinfo = UTC) -> str:
    """Blocks as lines: fields side by side, buttons in brackets, inputs with their values."""
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind in ("section", "header") and "text" in block:
            lines.append(str(block["text"].get("text", "")))
        if kind == "section" and block.get("fields"):
            pairs = [str(f.get("text", "")).replace("\n", ": ", 1) for f in block["fields"]]
            lines.append(" · ".join(pairs))
        elif kind == "context":
            lines.append(" ".join(str(e.get("text", "")) for e in block.get("elements", [])))
        elif kind == "actions":
            labels = []
            for element in block.get("elements", []):
                if element.get("type") == "button":
                    labels.append(f"[ {element['text']['text']} ]")
                elif element.get("type") == "static_select":
                    chosen = (element.get("initial_option") or {}).get("value", "…")
                    labels.append(f"[ severity: {chosen} ▾ ]")
            lines.append(" ".join(labels))
        elif kind == "input":
            lines.append(f"{block['label']['text']}: {_prefilled(block.get('element', {}), zone)}")
    return "\n".join(line for line in lines if line)


class TranscriptView:
    """One run's transcript as lines for people, with the emulator to look things up."""

    def __init__(self, emulator: SlackEmulator, clock: Clock | None, zone: tzinfo) -> None:
        self.emulator = emulator
        self.clock = clock or (lambda at: at)
        self.zone = zone

    def when(self, entry: TranscriptEntry) -> str:
        """The entry's time on the bot's clock, in the zone."""
        return datetime.fromtimestamp(self.clock(entry.at), self.zone).strftime("%H:%M:%S")

    def author_of(self, channel_id: str | None, ts: str | None) -> str:
        """Whose message `ts` is: `carol's message`, `the bot's message`."""
        found = self.emulator.find_message(channel_id, ts) if channel_id and ts else None
        if found is None:
            return "a message"
        person = self.emulator.user(found.user)
        if person is None or found.user == self.emulator.bot_user_id:
            return "the bot's message"
        return f"{person.name}'s message"

    def thread_label(self, entry: TranscriptEntry) -> str:
        """Which thread a reply went to: the announcement's, or the message it answers."""
        found = self.emulator.find_message(entry.channel_id or "", entry.ts or "")
        parent_ts = found.thread_ts if found is not None else None
        whose = self.author_of(entry.channel_id, parent_ts)
        if whose == "the bot's message":
            return "in the thread of the bot's announcement"
        return f"in the thread of {whose}"

    def files(self, entry: TranscriptEntry) -> list[str]:
        """Names of the files shared with the entry's message."""
        found = self.emulator.find_message(entry.channel_id or "", entry.ts or "")
        return [str(f.get("name") or f.get("title")) for f in (found.files if found else [])]

    def action(self, entry: TranscriptEntry) -> str:
        """A person's action as words: times as times, shortcuts by their names."""
        text = entry.text
        if entry.kind == "shortcut":
            callback = text.removeprefix("shortcut ").strip()
            name = SHORTCUTS.get(callback, callback)
            return f"uses the message shortcut “{name}”"

        def epoch(match: re.Match[str]) -> str:
            at = datetime.fromtimestamp(int(match.group(2)), self.zone)
            return f"{match.group(1)}={at:%Y-%m-%d %H:%M}"

        return re.sub(r"\b(\w*_at)=(\d{9,11})\b", epoch, text)


def render_transcript(
    emulator: SlackEmulator,
    console: Console,
    *,
    clock: Clock | None = None,
    zone: tzinfo = UTC,
    people: frozenset[str] = frozenset(),
) -> str:
    """Print the conversation as a reader would follow it; return it as plain text.

    `clock` maps the emulator's wall-clock times to the bot's (the demo's scripted clock);
    `people` are the names printed as humans (by default everyone but the bot).
    """
    view = TranscriptView(emulator, clock, zone)
    plain: list[str] = []
    bot = emulator.user(emulator.bot_user_id)
    bot_name = bot.name if bot is not None else ""

    def show(head: str, body: str | None, *, human: bool, dim: bool = False) -> None:
        style = "dim" if dim else ("bold cyan" if human else "bold green")
        console.print(Text(head, style=style))
        line = head
        if body:
            console.print(Text("    " + body.replace("\n", "\n    "), style="dim" if dim else ""))
            line += "\n    " + body.replace("\n", "\n    ")
        plain.append(line)

    for entry in emulator.transcript():
        when = view.when(entry)
        where = entry.channel_name or "(modal)"
        if entry.channel_name.startswith("@"):
            where = f"(direct message to {entry.channel_name})"
        elif entry.channel_name:
            where = f"#{entry.channel_name}"
        human = entry.author in people if people else entry.author != bot_name
        if entry.kind == "reaction":
            target = view.author_of(entry.channel_id, entry.ts)
            mark = readable(entry.text, emulator, zone)
            # A 📌 on a message in an incident channel pins it to the incident's timeline.
            why = " (pins it to the timeline)" if entry.text == ":pushpin:" else ""
            line = f"{when} {where}  {entry.author} reacted {mark} to {target}{why}"
            show(line, None, human=human)
            continue
        if entry.kind == "pin":
            first = readable(entry.text, emulator, zone).split("\n")[0]
            line = f"{when} {where}  {entry.author} pinned a message to the channel: “{first}”"
            show(line, None, human=human, dim=True)
            continue
        if entry.kind in ("channel_created", "invite", "bookmark"):
            text = readable(entry.text, emulator, zone)
            show(f"{when} {where}  {entry.author}: {text}", None, human=human, dim=True)
            continue
        if entry.kind in ("click", "select", "submit", "shortcut", "command", "home"):
            body = readable(view.action(entry), emulator, zone)
            show(f"{when} {where}  {entry.author}", body, human=True)
            continue
        body = render_blocks(entry.blocks, zone) if entry.blocks else entry.text
        body = readable(body or entry.text, emulator, zone)
        names = view.files(entry) if entry.kind in ("message", "reply") else []
        if names:
            body += "\n" + "\n".join(f"📎 {name}" for name in names)
        label = view.thread_label(entry) if entry.kind == "reply" else KIND_LABEL.get(entry.kind)
        head = f"{when} {where}  {entry.author}" + (f"  ({label})" if label else "")
        show(head, body, human=human)
    return "\n".join(plain)
