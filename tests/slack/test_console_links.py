"""With FIREFIGHTER_BASE_URL set, Slack and the post-mortem link to the incident's web page."""

from __future__ import annotations

from pathlib import Path

from tests.slack.conftest import Bot


def test_card_announcement_home_and_postmortem_link_to_the_web_page(bot: Bot) -> None:
    bot.core.settings.base_url = "https://firefighter.example"
    incident = bot.declare("Checkout is down")
    page = f"https://firefighter.example/incidents/{incident.id}"
    channel = bot.incident(incident.id).channel_id or ""
    card = str([m.blocks for m in bot.emulator.messages(channel)])
    assert f"<{page}|Open in the web console>" in card
    announced = str([m.blocks for m in bot.emulator.messages(bot.incidents_channel)])
    assert f"<{page}|web page>" in announced
    assert bot.driver.app_home_opened("U_ALICE").status == 200
    home = bot.emulator.home_view("U_ALICE")
    assert home is not None and f"<{page}|web page>" in str(home.view["blocks"])
    for move in ("mitigated", "postmortem"):
        bot.in_channel(incident, move)
    bot.settle()
    exported = Path(bot.core.settings.postmortem_dir) / f"INC-{incident.id}.html"
    assert f'<a href="{page}">{page}</a>' in exported.read_text()


def test_no_link_without_a_base_url(bot: Bot) -> None:
    incident = bot.declare("Checkout is down")
    channel = bot.incident(incident.id).channel_id or ""
    assert "/incidents/" not in str([m.blocks for m in bot.emulator.messages(channel)])


def test_serve_says_how_to_turn_the_console_on(bot: Bot) -> None:
    import urllib.request

    with urllib.request.urlopen(f"{bot.url}/", timeout=5) as answer:
        page = answer.read().decode()
    assert "console is off" in page and "FIREFIGHTER_OIDC_ISSUER" in page
