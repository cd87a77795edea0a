"""Without Confluence: the post-mortem as files, and the synchronous export of the CLI."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from firefighter.bootstrap import Core
from firefighter.cli.postmortem import app
from firefighter.incidents import effects
from firefighter.outbox import Dispatcher
from firefighter.postmortem.handler import ExportFailed, export_now, register_exporter
from firefighter.settings import Settings
from tests.postmortem.conftest import (
    Confluence,
    confluence_settings,
    incident,
    outbox,
    slack_stand_in,
    to_postmortem,
    use_settings,
    worker,
)

HOSTILE = 'DB <b>down</b> & "out" ]]> 🔥 مرحبا'


def test_files_are_written_and_recorded(core: Core, settings: Settings) -> None:
    first = to_postmortem(core, title=HOSTILE, drill=True)
    worker(core).drain()

    directory = settings.postmortem_dir.resolve()
    storage = directory / f"INC-{first.id}.storage.xml"
    html = directory / f"INC-{first.id}.html"
    chart = directory / f"INC-{first.id}-timeline.png"
    ET.fromstring(
        '<root xmlns:ac="http://atlassian.com/content" '
        f'xmlns:ri="http://atlassian.com/resource/identifier">{storage.read_text("utf-8")}</root>'
    )
    page = html.read_text("utf-8")
    assert "DB &lt;b&gt;down&lt;/b&gt; &amp; &#34;out&#34; ]]&gt; 🔥 مرحبا" in page
    assert "<b>down</b>" not in page
    assert f"<title>INC-{first.id}: [DRILL] " in page
    assert "data:image/png;base64," in page
    assert chart.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")

    stored = incident(core, first.id)
    assert stored.postmortem_page_id == f"file:INC-{first.id}"
    assert stored.postmortem_url == html.as_uri()
    assert stored.postmortem_url.startswith("file:///")


def test_unwritable_directory_is_a_clear_permanent_failure(
    core: Core, settings: Settings, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the directory should be")
    use_settings(core, settings.model_copy(update={"postmortem_dir": blocker / "postmortems"}))
    first = to_postmortem(core)
    worker(core).drain()

    [item] = outbox(core, effects.EXPORT_POSTMORTEM)
    assert item.dead_at is not None
    [notice] = [i.payload for i in outbox(core, effects.NOTIFY)]
    assert f"INC-{first.id} could not be published" in notice["text"]
    assert "FIREFIGHTER_POSTMORTEM_DIR" in notice["text"]


def test_export_now_returns_the_url(core: Core) -> None:
    first = to_postmortem(core)

    def handlers(dispatcher: Dispatcher) -> None:
        register_exporter(dispatcher, core.settings, core.service)
        slack_stand_in(dispatcher)

    url = export_now(core.service, dispatcher_with(core, handlers), first.id, timeout=20)

    assert url == incident(core, first.id).postmortem_url
    assert Path(url.removeprefix("file://")).is_file()
    # The export the lifecycle queued and the one requested here: both delivered.
    assert all(i.delivered_at is not None for i in outbox(core, effects.EXPORT_POSTMORTEM))


def test_export_now_leaves_other_effects_to_the_worker(core: Core) -> None:
    """The export does not wait for Slack (another target): it publishes, Slack stays queued."""
    first = to_postmortem(core)
    url = export_now(
        core.service,
        dispatcher_with(core, lambda d: register_exporter(d, core.settings, core.service)),
        first.id,
        timeout=5,
    )

    assert url == incident(core, first.id).postmortem_url
    [channel] = outbox(core, effects.OPEN_CHANNEL)
    assert channel.delivered_at is None and channel.dead_at is None and channel.attempts == 0


def test_export_now_reports_a_dead_letter(
    core: Core, settings: Settings, confluence: Confluence
) -> None:
    use_settings(core, confluence_settings(settings, confluence))
    first = to_postmortem(core)
    confluence.fail_next(403, times=5, method="POST")

    def handlers(dispatcher: Dispatcher) -> None:
        register_exporter(dispatcher, core.settings, core.service)
        slack_stand_in(dispatcher)

    with pytest.raises(ExportFailed) as failed:
        export_now(core.service, dispatcher_with(core, handlers), first.id, timeout=20)
    assert str(failed.value).startswith(f"the post-mortem of INC-{first.id} could not be published")
    assert "'Add page' permission in space ENG" in str(failed.value)


def test_export_now_times_out_with_the_last_error(
    core: Core, settings: Settings, confluence: Confluence
) -> None:
    use_settings(core, confluence_settings(settings, confluence))
    first = to_postmortem(core)
    confluence.fail_next(503, times=1000)

    def handlers(dispatcher: Dispatcher) -> None:
        register_exporter(dispatcher, core.settings, core.service)
        slack_stand_in(dispatcher)

    with pytest.raises(ExportFailed) as failed:
        export_now(core.service, dispatcher_with(core, handlers), first.id, timeout=0.5)
    message = str(failed.value)
    assert f"INC-{first.id} is not published after 0.5 s" in message
    assert "HTTP 503" in message


def test_cli_export_prints_the_url_or_one_clear_line(
    core: Core, db_url: str, settings: Settings
) -> None:
    first = to_postmortem(core)
    worker(core).drain()  # a worker already delivered the Slack effects
    env = {
        "DATABASE_URL": db_url,
        "FIREFIGHTER_POSTMORTEM_DIR": str(settings.postmortem_dir),
        "CONFLUENCE_URL": "",
    }
    runner = CliRunner()

    result = runner.invoke(app, ["export", f"INC-{first.id}"], env=env)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == incident(core, first.id).postmortem_url

    missing = runner.invoke(app, ["export", "999"], env=env)
    assert missing.exit_code == 1
    assert "There is no incident INC-999." in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1


def dispatcher_with(core: Core, handlers: Callable[[Dispatcher], None]) -> Dispatcher:
    """A bare dispatcher with `handlers` registered, as `postmortem export` builds one."""
    dispatcher = core.dispatcher()
    handlers(dispatcher)
    return dispatcher
