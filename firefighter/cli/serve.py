"""`firefighter serve`, `worker` and `demo`: the long-running processes and the offline demo."""

from __future__ import annotations

from typing import Annotated

import typer

from firefighter.cli.common import core, handled, out


def register(root: typer.Typer) -> None:
    """Mount `serve`, `worker` and `demo` as top-level commands of `root`."""
    root.command("serve")(serve)
    root.command("worker")(worker)
    root.command("demo")(demo)


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 3000,
    worker: Annotated[
        bool, typer.Option("--worker/--no-worker", help="Run the outbox worker in-process.")
    ] = True,
    threads: Annotated[int, typer.Option(help="Request-handling threads.")] = 8,
) -> None:
    """Serve Slack requests at POST /slack/events and health at GET /healthz."""
    from firefighter.serving import run_server

    with core() as opened:
        run_server(opened, host=host, port=port, with_worker=worker, threads=threads, console=out)


def worker() -> None:
    """Deliver the outbox (Slack messages, post-mortems) until stopped."""
    from firefighter.serving import run_worker

    with core() as opened:
        run_worker(opened, console=out)


def demo(
    output: Annotated[str, typer.Option(help="Folder for the demo's files.")] = "demo-output",
    socket_mode: Annotated[
        bool,
        typer.Option(
            "--socket-mode", help="Talk to the emulator over Socket Mode instead of HTTP."
        ),
    ] = False,
    serve: Annotated[
        bool,
        typer.Option(
            "--serve", help="Keep the emulator, the bot and the web console running afterwards."
        ),
    ] = False,
) -> None:
    """Play a SEV1 through the bot against a Slack emulator and print the conversation."""
    from firefighter.sandbox.demo import run_demo

    with handled():
        run_demo(output, out, socket_mode=socket_mode, serve=serve)
