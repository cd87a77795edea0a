"""A Bolt app that only acknowledges, served like the bot: the benchmark's baseline.

The same server as `firefighter serve` (FastAPI on uvicorn, Bolt dispatched on a worker
thread, as many threads as the bot), so that the margin measures FireFighter's own work.
"""

from __future__ import annotations

import os
import sys

from fastapi import FastAPI, Request
from fastapi.responses import Response
from slack_bolt import Ack, App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_sdk import WebClient
from starlette.concurrency import run_in_threadpool

from firefighter.web.server import UvicornServer


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

    api = FastAPI()

    @api.post("/slack/events")
    async def events(request: Request) -> Response:
        bolt_request = to_bolt_request(request, await request.body())
        return to_starlette_response(await run_in_threadpool(app.dispatch, bolt_request))

    UvicornServer(api, port=int(sys.argv[1]), threads=8).run()


if __name__ == "__main__":
    main()
