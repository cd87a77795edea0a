"""The Slack emulator answers like Slack."""

from __future__ import annotations

import base64
import time

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from firefighter.emulators.slack import SlackEmulator
from tests.emulators.conftest import TOKEN, error_of, section

# A complete 1x1 PNG, so byte-for-byte equality proves nothing was re-encoded.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def test_auth_and_unknown_methods(emulator: SlackEmulator, client: WebClient) -> None:
    me = client.auth_test()
    assert (me["user_id"], me["team_id"], me["bot_id"]) == ("UBOT", "T0001", "B0001")
    wrong = WebClient(token="xoxb-wrong", base_url=emulator.api_url)
    assert error_of(wrong.auth_test) == "invalid_auth"
    assert error_of(lambda: client.api_call("chat.teleport")) == "unknown_method"
    assert [c.method for c in emulator.calls] == ["auth.test", "auth.test", "chat.teleport"]


def test_channel_name_rules_and_name_taken(emulator: SlackEmulator, client: WebClient) -> None:
    for name, error in [
        ("Incident-1", "invalid_name_specials"),
        ("inc 1", "invalid_name_specials"),
        ("inc.1", "invalid_name_specials"),
        ("x" * 81, "invalid_name_maxlength"),
        ("", "invalid_name_required"),
        ("--", "invalid_name_punctuation"),
    ]:
        assert error_of(lambda n=name: client.conversations_create(name=n)) == error, name

    created = client.conversations_create(name="inc-2024_01-db", is_private=True)
    channel = created["channel"]
    assert channel["name"] == "inc-2024_01-db" and channel["is_private"] is True
    assert channel["id"].startswith("G")
    assert emulator.channel(channel["id"]).members == {"UBOT"}
    assert client.conversations_create(name="y" * 80)["channel"]["id"].startswith("C")

    assert error_of(lambda: client.conversations_create(name="inc-2024_01-db")) == "name_taken"
    client.conversations_archive(channel=channel["id"])
    assert error_of(lambda: client.conversations_archive(channel=channel["id"])) == (
        "already_archived"
    )
    # Archived channels keep their name.
    assert error_of(lambda: client.conversations_create(name="inc-2024_01-db")) == "name_taken"
    assert len([c for c in emulator.channels if c.name == "inc-2024_01-db"]) == 1


def test_posting_needs_membership_and_a_live_channel(
    emulator: SlackEmulator, client: WebClient
) -> None:
    public = emulator.add_channel("general", members=["U1"], bot_member=False)
    private = emulator.add_channel("secret", is_private=True, members=["U1"], bot_member=False)
    assert error_of(lambda: client.chat_postMessage(channel=public, text="hi")) == "not_in_channel"
    # Slack does not reveal private channels the bot cannot see.
    assert error_of(lambda: client.chat_postMessage(channel=private, text="hi")) == (
        "channel_not_found"
    )
    assert error_of(lambda: client.chat_postMessage(channel="C404", text="hi")) == (
        "channel_not_found"
    )
    assert error_of(lambda: client.conversations_invite(channel=public, users="U2")) == (
        "not_in_channel"
    )
    client.conversations_join(channel=public)
    with pytest.warns(UserWarning):  # slack_sdk itself warns about a missing text
        assert error_of(lambda: client.chat_postMessage(channel=public)) == "no_text"
    long_text = "x" * 40_001
    assert error_of(lambda: client.chat_postMessage(channel=public, text=long_text)) == (
        "msg_too_long"
    )
    client.chat_postMessage(channel=public, text="hello")
    client.conversations_archive(channel=public)
    assert error_of(lambda: client.chat_postMessage(channel=public, text="late")) == "is_archived"
    assert [m.text for m in emulator.messages(public)] == ["hello"]


def test_invite_rules(emulator: SlackEmulator, client: WebClient) -> None:
    channel = client.conversations_create(name="inc-invite")["channel"]["id"]
    assert error_of(lambda: client.conversations_invite(channel=channel, users="UBOT")) == (
        "cant_invite_self"
    )
    assert error_of(lambda: client.conversations_invite(channel=channel, users="U1,U999")) == (
        "user_not_found"
    )
    assert emulator.channel(channel).members == {"UBOT"}
    client.conversations_invite(channel=channel, users="U1")
    # Partly already in is fine; only all-already-in is an error.
    client.conversations_invite(channel=channel, users=["U1", "U2"])
    assert error_of(lambda: client.conversations_invite(channel=channel, users="U1,U2")) == (
        "already_in_channel"
    )
    assert emulator.channel(channel).members == {"UBOT", "U1", "U2"}
    assert sorted(client.conversations_members(channel=channel)["members"]) == ["U1", "U2", "UBOT"]


def test_invalid_blocks(emulator: SlackEmulator, client: WebClient) -> None:
    channel = emulator.add_channel("blocks")
    with pytest.raises(SlackApiError) as caught:
        client.chat_postMessage(channel=channel, text="t", blocks=[section("x" * 3001)])
    assert caught.value.response["error"] == "invalid_blocks"
    assert "/blocks/0/text/text" in caught.value.response["errors"][0]

    too_many = [section(f"{i}") for i in range(51)]
    header = {"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}
    button = {"type": "button", "text": {"type": "plain_text", "text": "ok"}, "action_id": "a"}
    for blocks in (
        too_many,
        [header],
        [{"text": {"type": "mrkdwn", "text": "no type"}}],
        [{"type": "actions", "elements": [button, button]}],
        [{"type": "actions", "elements": [{**button, "action_id": f"a{i}"} for i in range(26)]}],
        [{**section("a"), "block_id": "same"}, {**section("b"), "block_id": "same"}],
    ):
        call = lambda b=blocks: client.chat_postMessage(channel=channel, text="t", blocks=b)  # noqa: E731
        assert error_of(call) == "invalid_blocks", blocks

    ok = client.chat_postMessage(channel=channel, text="t", blocks=[section("x" * 3000)] * 50)
    assert ok["ok"] and len(emulator.messages(channel)) == 1
    # Slack fills in block ids the app left out, so clicks can name their block.
    assert all(b["block_id"] for b in emulator.messages(channel)[0].blocks)


def test_update_keeps_an_edit_history(emulator: SlackEmulator, client: WebClient) -> None:
    channel = emulator.add_channel("updates")
    ts = client.chat_postMessage(channel=channel, text="v1", blocks=[section("one")])["ts"]
    client.chat_update(channel=channel, ts=ts, text="v2", blocks=[section("two")])
    client.chat_update(channel=channel, ts=ts, text="v3")
    (message,) = emulator.messages(channel)
    assert message.ts == ts and message.text == "v3"
    assert message.blocks[0]["text"]["text"] == "two"  # omitted blocks are kept
    assert [v.text for v in message.edits] == ["v1", "v2"]
    assert message.edits[0].blocks[0]["text"]["text"] == "one"
    assert error_of(lambda: client.chat_update(channel=channel, ts="1.000001", text="x")) == (
        "message_not_found"
    )
    assert [e.kind for e in emulator.transcript()] == ["message", "update", "update"]


def test_thread_replies(emulator: SlackEmulator, client: WebClient) -> None:
    channel = emulator.add_channel("threads", members=["U1"])
    parent = client.chat_postMessage(channel=channel, text="parent")["ts"]
    first = client.chat_postMessage(channel=channel, text="r1", thread_ts=parent)
    client.chat_postMessage(channel=channel, text="r2", thread_ts=parent)
    assert first["message"]["thread_ts"] == parent
    assert error_of(
        lambda: client.chat_postMessage(channel=channel, text="x", thread_ts="1.000001")
    ) == ("thread_not_found")

    assert [m.text for m in emulator.messages(channel)] == ["parent"]
    assert [m.text for m in emulator.messages(channel, include_replies=True)] == [
        "parent",
        "r1",
        "r2",
    ]
    assert [m.text for m in emulator.replies(channel, parent)] == ["r1", "r2"]
    assert emulator.messages(channel)[0].reply_count == 2
    history = client.conversations_history(channel=channel)["messages"]
    assert [m["text"] for m in history] == ["parent"] and history[0]["reply_count"] == 2
    replies = client.conversations_replies(channel=channel, ts=parent)["messages"]
    assert [m["text"] for m in replies] == ["parent", "r1", "r2"]


def test_views_open_trigger_rules(emulator: SlackEmulator, client: WebClient) -> None:
    modal = {
        "type": "modal",
        "callback_id": "declare",
        "title": {"type": "plain_text", "text": "Declare"},
        "blocks": [section("hello")],
    }
    trigger = emulator.issue_trigger_id("U1")
    opened = client.views_open(trigger_id=trigger, view=modal)["view"]
    assert opened["id"].startswith("V") and opened["hash"] and opened["callback_id"] == "declare"
    assert error_of(lambda: client.views_open(trigger_id=trigger, view=modal)) == (
        "exchanged_trigger_id"
    )
    assert error_of(lambda: client.views_open(trigger_id="123.456.abc", view=modal)) == (
        "invalid_trigger_id"
    )
    emulator.trigger_ttl = 0.2
    stale = emulator.issue_trigger_id("U1")
    time.sleep(0.3)
    assert error_of(lambda: client.views_open(trigger_id=stale, view=modal)) == (
        "expired_trigger_id"
    )
    long_title = {**modal, "title": {"type": "plain_text", "text": "t" * 25}}
    fresh = emulator.issue_trigger_id("U1")
    assert error_of(lambda: client.views_open(trigger_id=fresh, view=long_title)) == (
        "invalid_arguments"
    )
    assert [v.id for v in emulator.views] == [opened["id"]]
    updated = client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal)["view"]
    assert updated["id"] == opened["id"] and updated["hash"] != opened["hash"]
    stale_hash = opened["hash"]
    assert error_of(
        lambda: client.views_update(view_id=opened["id"], hash=stale_hash, view=modal)
    ) == ("hash_conflict")


def test_files_upload_v2_end_to_end(emulator: SlackEmulator, client: WebClient) -> None:
    channel = emulator.add_channel("inc-files", members=["U1"])
    result = client.files_upload_v2(
        channel=channel,
        file=PNG,
        filename="timeline.png",
        title="Timeline",
        initial_comment="Here is the timeline",
    )
    file_id = result["file"]["id"]
    (uploaded,) = emulator.uploaded_files
    assert uploaded.id == file_id and uploaded.content == PNG and uploaded.mimetype == "image/png"
    (message,) = emulator.messages(channel)
    assert message.text == "Here is the timeline"
    assert [(f["id"], f["title"]) for f in message.files] == [(file_id, "Timeline")]
    info = client.files_info(file=file_id)["file"]
    assert info["channels"] == [channel] and info["size"] == len(PNG)
    assert "file" in [e.kind for e in emulator.transcript()]

    outside = emulator.add_channel("elsewhere", bot_member=False)
    assert error_of(
        lambda: client.files_upload_v2(channel=outside, content="notes", filename="n.txt")
    ) == ("not_in_channel")
    assert emulator.messages(outside) == []


def test_429_is_retried_after_retry_after_and_changes_state_once(
    emulator: SlackEmulator,
) -> None:
    channel = emulator.add_channel("inc-rate")
    retrying = WebClient(
        token=TOKEN,
        base_url=emulator.api_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)],
    )
    plain = WebClient(token=TOKEN, base_url=emulator.api_url)
    emulator.faults(rate_429=1.0, retry_after=2, methods=["chat.postMessage"], limit=1)
    with pytest.raises(SlackApiError) as caught:
        plain.chat_postMessage(channel=channel, text="never")
    assert caught.value.response.status_code == 429
    assert caught.value.response.headers["Retry-After"] == "2"
    assert emulator.messages(channel) == []

    # Without the header slack_sdk would wait about 1 s; 2 s proves it read Retry-After.
    emulator.faults(rate_429=1.0, retry_after=2, methods=["chat.postMessage"], limit=1)
    started = time.monotonic()
    assert retrying.chat_postMessage(channel=channel, text="once")["ok"]
    assert time.monotonic() - started >= 2.0
    calls = emulator.calls_to("chat.postMessage")
    assert [(c.status, c.fault) for c in calls] == [
        (429, "ratelimited"),
        (429, "ratelimited"),
        (200, None),
    ]
    assert calls[0].response == {"ok": False, "error": "ratelimited"}
    assert [m.text for m in emulator.messages(channel)] == ["once"]


def test_500_changes_nothing_and_faults_turn_off(
    emulator: SlackEmulator, client: WebClient
) -> None:
    emulator.faults(rate_500=1.0, seed=7)
    with pytest.raises(SlackApiError) as caught:
        client.conversations_create(name="inc-500")
    assert caught.value.response.status_code == 500
    assert emulator.channel_by_name("inc-500") is None
    assert emulator.calls_to("conversations.create")[0].fault == "server_error"
    emulator.faults()
    assert client.conversations_create(name="inc-500")["ok"]

    emulator.fail_next("chat.postMessage", "ratelimited", times=1)
    channel = emulator.channel_by_name("inc-500")
    assert channel is not None
    assert error_of(lambda: client.chat_postMessage(channel=channel.id, text="a")) == "ratelimited"
    client.chat_postMessage(channel=channel.id, text="b")
    assert [m.text for m in emulator.messages(channel.id)] == ["b"]


def test_dm_ephemeral_pins_bookmarks_and_transcript(
    emulator: SlackEmulator, client: WebClient
) -> None:
    dm = client.conversations_open(users="U2")["channel"]["id"]
    assert dm.startswith("D")
    client.chat_postMessage(channel=dm, text="you are paged")
    assert [m.text for m in emulator.messages(dm)] == ["you are paged"]

    channel = emulator.add_channel("inc-misc", members=["U1"])
    assert error_of(lambda: client.chat_postEphemeral(channel=channel, user="U2", text="x")) == (
        "user_not_in_channel"
    )
    client.chat_postEphemeral(channel=channel, user="U1", text="only you")
    assert [(m.text, m.ephemeral_for) for m in emulator.ephemerals()] == [("only you", "U1")]
    assert emulator.messages(channel) == []

    ts = client.chat_postMessage(channel=channel, text="summary")["ts"]
    link = client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"]
    assert link == f"https://emulated.slack.com/archives/{channel}/p{ts.replace('.', '')}"
    client.pins_add(channel=channel, timestamp=ts)
    assert error_of(lambda: client.pins_add(channel=channel, timestamp=ts)) == "already_pinned"
    assert error_of(lambda: client.pins_add(channel=channel, timestamp="1.000001")) == (
        "message_not_found"
    )
    assert [i["message"]["ts"] for i in client.pins_list(channel=channel)["items"]] == [ts]

    mark = client.bookmarks_add(channel_id=channel, title="Doc", type="link", link="https://x.io")
    bookmark_id = mark["bookmark"]["id"]
    client.bookmarks_edit(channel_id=channel, bookmark_id=bookmark_id, title="Postmortem")
    assert [b["title"] for b in client.bookmarks_list(channel_id=channel)["bookmarks"]] == [
        "Postmortem"
    ]
    client.conversations_setTopic(channel=channel, topic="SEV1 | db down")
    assert emulator.channel(channel).topic == "SEV1 | db down"

    assert client.usergroups_users_list(usergroup="S1")["users"] == ["U1", "U2"]
    assert client.users_info(user="U2")["user"]["tz"] == "America/New_York"
    kinds = [e.kind for e in emulator.transcript()]
    assert kinds == ["message", "ephemeral", "message", "pin", "bookmark", "bookmark", "topic"]
    assert "db down" in emulator.format_transcript()
