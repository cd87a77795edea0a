"""`firefighter serve`, `worker` and `demo`: the long-running processes and the offline demo."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated

import typer

from firefighter.cli.common import core, fail, handled, out

# A host name as RFC 1123 allows: dot-separated labels of letters, digits and inner hyphens.
_HOST_NAME = re.compile(r"(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?)+")


def register(root: typer.Typer) -> None:
    """Mount `serve`, `worker` and `demo` as top-level commands of `root`."""
    root.command("serve")(serve)
    root.command("worker")(worker)
    root.command("demo")(demo)


def checked_address(host: str, port: int) -> None:
    """Refuse, in one line and exit code 2, an address no socket can listen on.

    Left to the socket layer, 99999 wraps around to another port and 999.1.1.1 ends in a
    stack trace.
    """
    if not 1 <= port <= 65535:
        raise fail(f"--port {port} is not a port; use a number from 1 to 65535.", 2)
    looks_numeric = bool(re.fullmatch(r"[0-9.]+", host))
    try:
        ipaddress.ip_address(host)
        return
    except ValueError:
        if looks_numeric or ":" in host or not _HOST_NAME.fullmatch(host):
            shown = host if len(host) <= 60 else host[:59] + "…"
            raise fail(
                f"--host {shown!r} is not an address; use an IP address such as 127.0.0.1 "
                "(this machine only) or 0.0.0.0 (every interface), or a host name.",
                2,
            ) from None


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.", metavar="ADDRESS")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port to listen on (1-65535).", metavar="PORT")] = 3000,
    worker: Annotated[
        bool, typer.Option("--worker/--no-worker", help="Run the outbox worker in-process.")
    ] = True,
    threads: Annotated[int, typer.Option(help="Request-handling threads.", metavar="N", min=1)] = 8,
) -> None:
    """Serve Slack requests at POST /slack/events and health at GET /healthz."""
    from firefighter.serving import CannotListen, run_server

    checked_address(host, port)
    with core() as opened:
        try:
            run_server(
                opened, host=host, port=port, with_worker=worker, threads=threads, console=out
            )
        except CannotListen as error:
            raise fail(str(error), 2) from None


def worker(
    host: Annotated[
        str, typer.Option(help="Address of the health and metrics port.", metavar="ADDRESS")
    ] = "127.0.0.1",
    port: Annotated[
        int | None,
        typer.Option(
            help="Also answer GET /healthz and /metrics on this port (probes, Prometheus).",
            metavar="PORT",
        ),
    ] = None,
) -> None:
    """Deliver the outbox (Slack messages, post-mortems) until stopped."""
    from firefighter.serving import CannotListen, run_worker

    if port is not None:
        checked_address(host, port)
    with core() as opened:
        try:
            run_worker(opened, console=out, host=host, port=port)
        except CannotListen as error:
            raise fail(str(error), 2) from None


def demo(
    output: Annotated[
        str, typer.Option(help="Folder for the demo's files.", metavar="FOLDER")
    ] = "demo-output",
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
