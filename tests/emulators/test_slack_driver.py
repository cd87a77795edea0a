"""The driver talks to a real Bolt app like Slack."""

from __future__ import annotations

import json
import socketserver
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from slack_bolt import Ack, App, Respond
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from firefighter.emulators.slack import SlackDriver, SlackEmulator
from tests.emulators.conftest import SECRET, TOKEN, section


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


@dataclass
class BoltHarness:
    driver: SlackDriver
    channel: str
    clicks: list[tuple[str, str]] = field(default_factory=list)
    selections: list[str] = field(default_factory=list)
    mentions: list[str] = field(default_factory=list)


def _declare_modal(channel_id: str) -> dict[str, Any]:
    options = [
        {"text": {"type": "plain_text", "text": label}, "value": label.lower()}
        for label in ("SEV1", "SEV2")
    ]
    return {
        "type": "modal",
        "callback_id": "declare",
        "private_metadata": channel_id,
        "title": {"type": "plain_text", "text": "Declare an incident"},
        "submit": {"type": "plain_text", "text": "Declare"},
        "blocks": [
            {
                "type": "input",
                "block_id": "title",
                "label": {"type": "plain_text", "text": "Title"},
                "element": {"type": "plain_text_input", "action_id": "title_input"},
            },
            {
                "type": "input",
                "block_id": "severity",
                "label": {"type": "plain_text", "text": "Severity"},
                "element": {"type": "static_select", "action_id": "severity", "options": options},
            },
        ],
    }


@pytest.fixture
def bolt(emulator: SlackEmulator) -> Iterator[BoltHarness]:
    channel = emulator.add_channel("incidents", members=["U1", "U2"])
    app = App(
        client=WebClient(token=TOKEN, base_url=emulator.api_url),
        signing_secret=SECRET,
        process_before_response=True,
    )
    server = make_server(
        "127.0.0.1",
        0,
        SlackRequestHandler(app),
        server_class=_ThreadingWSGIServer,
        handler_class=_QuietHandler,
    )
    harness = BoltHarness(
        driver=SlackDriver(emulator, f"http://127.0.0.1:{server.server_port}/slack/events", SECRET),
        channel=channel,
    )

    @app.command("/incident")
    def open_modal(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=_declare_modal(body["channel_id"]))

    @app.view("declare")
    def declare(ack: Ack, view: dict[str, Any], client: WebClient) -> None:
        values = view["state"]["values"]
        title = values["title"]["title_input"]["value"]
        if not title:
            ack(response_action="errors", errors={"title": "A title is required"})
            return
        ack()
        severity = values["severity"]["severity"]["selected_option"]["value"]
        client.chat_postMessage(
            channel=view["private_metadata"],
            text=f"{title} ({severity})",
            blocks=[
                section(f"*{title}* ({severity})"),
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "action_id": "ack_incident",
                            "text": {"type": "plain_text", "text": "Acknowledge"},
                            "value": "inc-1",
                        },
                        {
                            "type": "static_select",
                            "action_id": "set_severity",
                            "options": _declare_modal("")["blocks"][1]["element"]["options"],
                        },
                    ],
                },
            ],
        )

    @app.action("ack_incident")
    def acknowledge(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        harness.clicks.append((body["user"]["id"], body["actions"][0]["value"]))
        respond(text="Acknowledged", replace_original=False)

    @app.action("set_severity")
    def set_severity(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        harness.selections.append(body["actions"][0]["selected_option"]["value"])

    @app.event("app_mention")
    def mentioned(event: dict[str, Any]) -> None:
        harness.mentions.append(event["text"])

    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield harness
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_signed_command_opens_a_modal(emulator: SlackEmulator, bolt: BoltHarness) -> None:
    response = bolt.driver.slash_command("db is down", "U1", bolt.channel)
    assert response.status == 200
    (view,) = emulator.views
    assert (view.callback_id, view.user_id, view.private_metadata) == (
        "declare",
        "U1",
        bolt.channel,
    )
    assert emulator.current_view("U1") is not None
    command = emulator.calls_to("views.open")[0]
    assert command.args["trigger_id"] == bolt.driver.last_trigger_id


def test_forged_or_stale_requests_are_rejected(emulator: SlackEmulator, bolt: BoltHarness) -> None:
    forged = bolt.driver.slash_command("x", "U1", bolt.channel, signature="v0=" + "0" * 64)
    stale = bolt.driver.slash_command("x", "U1", bolt.channel, timestamp=int(time.time()) - 400)
    assert (forged.status, stale.status) == (401, 401)
    assert emulator.calls_to("views.open") == []


def test_submit_click_select_and_events(emulator: SlackEmulator, bolt: BoltHarness) -> None:
    bolt.driver.slash_command("", "U1", bolt.channel)
    empty = bolt.driver.submit_view("U1", {})
    assert empty.status == 200
    assert empty.json == {"response_action": "errors", "errors": {"title": "A title is required"}}
    still_open = emulator.current_view("U1")
    assert still_open is not None and still_open.errors == {"title": "A title is required"}
    with pytest.raises(LookupError):
        bolt.driver.submit_view("U1", {"title_input": "x", "severity": "sev9"})

    done = bolt.driver.submit_view("U1", {"title_input": "DB down", "severity": "sev1"})
    assert (done.status, done.body) == (200, "")
    assert emulator.current_view("U1") is None
    (posted,) = emulator.messages(bolt.channel)
    assert posted.text == "DB down (sev1)"

    with pytest.raises(LookupError):
        bolt.driver.click(bolt.channel, posted.ts, "resolve_incident", "U2")
    assert bolt.driver.click(bolt.channel, posted.ts, "ack_incident", "U2").status == 200
    assert bolt.clicks == [("U2", "inc-1")]
    (reply,) = emulator.ephemerals("U2")
    assert (reply.text, reply.channel_id) == ("Acknowledged", bolt.channel)
    assert emulator.responses[0].action == "ephemeral"

    assert bolt.driver.select(bolt.channel, posted.ts, "set_severity", "sev2", "U1").status == 200
    assert bolt.selections == ["sev2"]

    mention = {"type": "app_mention", "user": "U1", "text": "<@UBOT> status", "ts": "1.000002"}
    mention["channel"] = bolt.channel
    assert bolt.driver.event(mention, retry_num=1).status == 200
    assert bolt.mentions == ["<@UBOT> status"]
    handshake = bolt.driver.url_verification("c-123")
    assert handshake.status == 200 and json.loads(handshake.body) == {"challenge": "c-123"}
