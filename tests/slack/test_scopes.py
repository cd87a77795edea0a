"""Every Web API method the bot calls is covered by the scopes slack-manifest.yml grants.

The walk reads the bot's source for WebClient calls, so a new call with a scope the manifest
lacks fails here, naming the method and the scope, before a real workspace refuses it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from firefighter.emulators.slack import SlackEmulator
from firefighter.emulators.slack import scopes as table

ROOT = Path(__file__).resolve().parents[2]
CALL = re.compile(r"\.([a-z]+(?:_[A-Za-z0-9]+)+)\(")

# Where the bot calls a conversation method: incident channels are public or private, the
# announcement channel public, reminders go to direct messages.
KINDS: dict[str, list[table.Kind]] = {
    "conversations.history": ["public", "private", "im"],
    "conversations.replies": ["public", "private", "im"],
    "conversations.open": ["im"],
}
EXPANDED = {"files.upload.v2": ["files.getUploadURLExternal", "files.completeUploadExternal"]}


def methods_the_bot_calls() -> set[str]:
    """Slack method names of every WebClient call in the bot (not the emulators)."""
    found: set[str] = set()
    for path in (ROOT / "firefighter").rglob("*.py"):
        if "emulators" in path.parts or "testing" in path.parts:
            continue
        for name in CALL.findall(path.read_text(encoding="utf-8")):
            if callable(getattr(WebClient, name, None)) and not name.startswith("api_"):
                method = name.replace("_", ".")
                found.update(EXPANDED.get(method, [method]))
    return found


def uncovered(granted: frozenset[str]) -> list[str]:
    """`method needs scope` for each call the granted scopes do not cover."""
    problems = []
    for method in sorted(methods_the_bot_calls()):
        if not table.listed(method):
            problems.append(f"{method}: not in the emulator's scope table")
            continue
        kinds: list[table.Kind | None] = list(KINDS.get(method, ["public", "private"]))
        if method == "conversations.list":
            kinds = ["public", "private"]  # reclaim_channel lists both
        for kind in kinds:
            scope = table.needed(method, kind)
            if scope and scope not in granted:
                problems.append(f"{method} needs {scope}")
    return sorted(set(problems))


def test_the_walk_finds_the_calls_the_bot_makes() -> None:
    found = methods_the_bot_calls()
    # A walk that finds nothing would pass whatever the manifest says.
    for method in ("chat.postMessage", "conversations.history", "pins.add", "views.open"):
        assert method in found


def test_the_manifest_grants_every_scope_the_bots_calls_need() -> None:
    granted = table.manifest_scopes(ROOT / "slack-manifest.yml")
    assert uncovered(granted) == []


def test_a_manifest_missing_one_scope_names_the_method_and_the_scope() -> None:
    granted = table.manifest_scopes(ROOT / "slack-manifest.yml") - {"channels:history"}
    assert uncovered(granted) == [
        "conversations.history needs channels:history",
        "conversations.replies needs channels:history",
    ]


def test_the_emulator_refuses_a_call_the_app_was_not_granted_as_slack_does() -> None:
    granted = table.manifest_scopes(ROOT / "slack-manifest.yml") - {"groups:history"}
    with SlackEmulator(scopes=granted) as emulator:
        public = emulator.add_channel("incidents")
        private = emulator.add_channel("inc-private", is_private=True)
        client = WebClient(token=emulator.bot_token, base_url=emulator.api_url)
        assert client.conversations_history(channel=public)["ok"]
        with pytest.raises(SlackApiError) as refused:
            client.conversations_history(channel=private)
    answer = refused.value.response
    assert answer["error"] == "missing_scope"
    assert answer["needed"] == "groups:history"
    assert "channels:history" in answer["provided"].split(",")


def test_the_pacer_allows_slacks_burst_then_spaces_calls_to_the_tier() -> None:
    from firefighter.slack.pacing import Pacer

    pacer = Pacer()
    # chat.postMessage: a short burst per channel, then about one a second.
    waits = [pacer.reserve("chat.postMessage", "C1") for _ in range(5)]
    assert waits[:3] == [0.0, 0.0, 0.0] and 0.9 < waits[3] < 1.1 and 1.9 < waits[4] < 2.1
    assert pacer.reserve("chat.postMessage", "C2") == 0.0  # another channel, its own pace
    # conversations.create, Tier 2: twenty at once, then one every three seconds.
    creates = [pacer.reserve("conversations.create", "") for _ in range(21)]
    assert creates[:20] == [0.0] * 20 and 2.9 < creates[20] < 3.1
    assert pacer.reserve("views.open", "") == 0.0  # not paced by the bot
