"""The console in a real browser: Debian's Chromium driven by Playwright (nothing downloaded).

Screenshots land in demo-output/screenshots/ (ignored); the README shows copies kept in
docs/screenshots/.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image

from firefighter.stats import measure
from firefighter.stats.report import metrics_json
from tests.gameday.helpers import two_teams
from tests.web.console.conftest import World
from tests.web.console.test_pages import seed

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = Path(__file__).resolve().parents[3] / "demo-output" / "screenshots"

pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None, reason="no Chromium: `apt-get install -y chromium` to run browser tests"
    ),
    # One database is enough to drive a browser; the pages are tested on both elsewhere.
    pytest.mark.parametrize("db_url", ["sqlite"], indirect=True),
]

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as driver:
        launched = driver.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        yield launched
        launched.close()


def sign_in(world: World, browser: object, who: str, *, width: int = 1280, height: int = 900):  # type: ignore[no-untyped-def]
    context = browser.new_context(  # type: ignore[attr-defined]
        viewport={"width": width, "height": height}, accept_downloads=True
    )
    page = context.new_page()
    page.goto(world.url + "/")
    page.get_by_role("button", name=who).click()
    page.wait_for_url(world.url + "/")
    return page


def shoot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_load_state("networkidle")
    path = SHOTS / name
    page.screenshot(path=str(path), full_page=True)
    # 256 colours are plenty for a page of text: the committed PNGs stay small.
    Image.open(path).convert("RGB").quantize(colors=128).save(path, optimize=True)


def test_sign_in_filter_search_export_and_read_an_incident(
    world: World, browser: object, tmp_path: Path
) -> None:
    ids = seed(world)
    page = sign_in(world, browser, "Alice Martin")
    assert page.get_by_role("heading", name="Incidents").is_visible()
    shoot(page, "console-incidents.png")
    page.get_by_label("Component").select_option("search")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("table.incidents tbody tr")
    assert rows.count() == 1 and "CDN errors in Asia" in rows.first.inner_text()
    page.get_by_label("Search titles, descriptions and updates").fill("failover")
    page.get_by_label("Component").select_option("")
    page.get_by_role("button", name="Filter").click()
    assert rows.count() == 1 and "Checkout database slow" in rows.first.inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    saved = tmp_path / "incidents.csv"
    download.value.save_as(saved)
    exported = list(csv.DictReader(saved.open()))
    assert [r["title"] for r in exported] == ["Checkout database slow"]
    page.get_by_role("link", name=f"INC-{ids['db']}").click()
    page.wait_for_url(f"{world.url}/incidents/{ids['db']}")
    texts = page.locator("#timeline-list .text").all_inner_texts()
    assert texts.index("Replica lag is the cause") < texts.index("Failover done, watching")
    assert page.get_by_role("link", name="Open #inc-checkout-db in Slack").is_visible()
    shoot(page, "console-incident.png")
    # The phone sees the same page in one column.
    page.set_viewport_size({"width": 390, "height": 844})
    shoot(page, "console-incident-phone.png")


def test_a_private_incident_is_not_found_for_others(world: World, browser: object) -> None:
    ids = seed(world)
    page = sign_in(world, browser, "Alice Martin")
    answer = page.goto(f"{world.url}/incidents/{ids['secret']}")
    assert answer is not None and answer.status == 404
    assert page.get_by_role("heading", name="No such incident").is_visible()
    page.goto(f"{world.url}/?q=leaked")
    assert "Leaked" not in page.content()


def test_figures_equal_stats_json(world: World, browser: object) -> None:
    seed(world)
    page = sign_in(world, browser, "Bob Stone")
    page.goto(f"{world.url}/figures?days=30")
    expected = metrics_json(
        measure(world.core.factory, world.settings, now=world.clock.now, days=30)
    )
    shown = {
        cell.get_attribute("data-figure"): cell.inner_text().strip()
        for cell in page.locator("[data-figure]").all()
    }
    assert shown["current.declared_total"] == str(expected["current"]["declared_total"])
    assert shown["open_now.total"] == str(expected["open_now"]["total"])
    for severity, count in expected["current"]["declared"].items():
        assert shown[f"current.declared.{severity}"] == str(count)
    for item in expected["components"]["by_incidents"]:
        assert shown[f"components.{item['component']}"] == str(item["incidents"])
    assert json.dumps(expected)
    shoot(page, "console-figures.png")


def test_the_game_day_board_changes_while_watched(world: World, browser: object) -> None:
    world.clock.tick = timedelta(0)
    gamedays = world.core.gamedays()
    gamedays.load(two_teams(), source="test.yaml", actor=None)
    day = gamedays.start("Test day", actor="U_DAVE")
    world.clock.advance(minutes=1)
    gamedays.tick()
    drill = gamedays.board(day.id).drills[0]
    page = sign_in(world, browser, "Alice Martin")
    page.goto(f"{world.url}/gamedays/{day.id}")
    red = page.locator('td.points[data-team="red"]')
    assert red.inner_text() == "0"
    page.evaluate("window.__same_page = true")
    world.clock.advance(minutes=2)
    world.core.service.add_update(drill.incident_id, "Looking at the deploy", actor="U_ALICE")
    sync_api.expect(red).not_to_have_text("0", timeout=10_000)
    assert page.evaluate("window.__same_page") is True  # no reload happened
    shoot(page, "console-gameday.png")
