"""Atlassian's attachment rule, and a post-mortem that goes out even when the chart cannot."""

from __future__ import annotations

import requests
from typer.testing import CliRunner

from firefighter.bootstrap import Core
from firefighter.cli import app
from firefighter.incidents import effects
from firefighter.settings import Settings
from tests.postmortem.conftest import (
    TOKEN,
    USER,
    Confluence,
    confluence_settings,
    incident,
    notices,
    outbox,
    to_postmortem,
    use_settings,
    worker,
)


def attach(confluence: Confluence, token: str) -> int:
    """POST an attachment with the given X-Atlassian-Token; the HTTP status."""
    page_id = confluence.add_page("Somewhere", "<p>x</p>")
    answer = requests.post(
        f"{confluence.url}/rest/api/content/{page_id}/child/attachment",
        headers={"X-Atlassian-Token": token},
        files={"file": ("chart.png", b"\x89PNG", "image/png")},
        auth=(USER, TOKEN),
        timeout=5,
    )
    return answer.status_code


def test_the_emulator_takes_only_the_documented_no_check(confluence: Confluence) -> None:
    assert attach(confluence, "nocheck") == 403
    assert attach(confluence, "no-check") == 200


def test_a_refused_chart_still_publishes_the_page_links_it_and_says_why_once(
    core: Core, settings: Settings, confluence: Confluence
) -> None:
    use_settings(core, confluence_settings(settings, confluence))
    first = to_postmortem(core)
    confluence.fail_next(403, times=10, method="POST", path="/child/attachment")
    worker(core).drain()

    [item] = outbox(core, effects.EXPORT_POSTMORTEM)
    assert item.delivered_at is not None and item.dead_at is None
    page = next(p for p in confluence.children(confluence.parent_id) if p.title.startswith("INC-"))
    assert confluence.attachments(page.id) == []
    assert "ri:attachment" not in page.body  # no broken image on the page
    found = incident(core, first.id)
    assert found.postmortem_url and page.id in found.postmortem_url
    [notice] = [n for n in notices(core) if "without its chart" in n["text"]]
    assert "'Add attachment' permission" in notice["text"]
    assert any(i.payload.get("url") for i in outbox(core, effects.POSTMORTEM_PUBLISHED))


def test_postmortem_export_exits_0_with_the_url_and_a_warning(
    core: Core, settings: Settings, confluence: Confluence
) -> None:
    configured = confluence_settings(settings, confluence)
    use_settings(core, configured)
    first = to_postmortem(core)
    confluence.fail_next(403, times=20, method="POST", path="/child/attachment")
    worker(core).drain()  # Slack's effects (stood in) and the lifecycle's own export
    env = {
        "DATABASE_URL": configured.database_url,
        "CONFLUENCE_URL": configured.confluence_url or "",
        "CONFLUENCE_USERNAME": USER,
        "CONFLUENCE_API_TOKEN": TOKEN,
        "CONFLUENCE_SPACE": configured.confluence_space or "",
        "CONFLUENCE_PARENT_PAGE_ID": configured.confluence_parent_page_id or "",
        "SLACK_BOT_TOKEN": "",
    }
    result = CliRunner().invoke(app, ["postmortem", "export", str(first.id)], env=env)

    assert result.exit_code == 0, result.output
    assert incident(core, first.id).postmortem_url in result.stdout
    assert "warning:" in result.stderr and "chart" in result.stderr
