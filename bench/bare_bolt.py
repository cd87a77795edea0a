"""A Bolt app that only acknowledges, served like the bot: the benchmark's baseline."""

from __future__ import annotations

import os
import sys
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from waitress.server import create_server


def main() -> None:
    """Serve on 127.0.0.1:<argv[1]> with as many threads as the bot, until killed."""
    app = App(
        client=WebClient(token="xoxb-bare", base_url=os.environ["SLACK_API_URL"]),
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        process_before_response=True,
        token_verification_enabled=False,
    )

    @app.command("/incident")
    def command(ack: Ack) -> None:
        ack()

    @app.action("severity")
    def action(ack: Ack) -> None:
        ack()

    handler = SlackRequestHandler(app)

    def application(environ: dict[str, Any], start_response: Any) -> Any:
        return handler(environ, start_response)

    create_server(application, host="127.0.0.1", port=int(sys.argv[1]), threads=8).run()


if __name__ == "__main__":
    main()
