"""The console's pages over real HTTP, signed in through the emulator."""

from __future__ import annotations

import csv
import io

import pytest

from tests.web.console.conftest import World


def seed(world: World) -> dict[str, int]:
    service = world.core.service
    db = service.declare(
        title="Checkout database slow",
        severity="SEV2",
        actor="UALICE",
        component="payments",
        description="p99 latency above 2 s",
    )
    service.record_slack(db.id, channel_id="C0DB", channel_name="inc-checkout-db")
    world.clock.advance(minutes=4)
    service.transition(db.id, "investigating", actor="UALICE")
    world.clock.advance(minutes=6)
    service.add_update(db.id, "Replica lag is the cause", actor="UALICE")
    world.clock.advance(minutes=9)
    service.transition(db.id, "mitigating", actor="UALICE")
    world.clock.advance(minutes=12)
    service.add_update(db.id, "Failover done, watching", actor="UALICE")
    service.transition(db.id, "mitigated", actor="UALICE")
    world.clock.advance(minutes=3)
    cdn = service.declare(
        title="CDN errors in Asia", severity="SEV3", actor="UBOB", component="search"
    )
    secret = service.declare(
        title="Leaked credentials", severity="SEV1", actor="UBOB", private=True
    )
    xss = service.declare(title="<script>alert(1)</script> broke", severity="SEV3", actor="UBOB")
    return {"db": db.id, "cdn": cdn.id, "secret": secret.id, "xss": xss.id}


def test_not_signed_in_goes_to_sign_in(world: World) -> None:
    answer = world.client().get("/incidents/1")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/auth/login?next=%2Fincidents%2F1"


def test_list_filters_search_and_csv(world: World) -> None:
    ids = seed(world)
    alice = world.sign_in("UALICE")
    page = alice.get("/")
    assert page.status_code == 200
    assert "Checkout database slow" in page.text and "CDN errors in Asia" in page.text
    assert "Leaked credentials" not in page.text
    filtered = alice.get("/", params={"component": "search"})
    assert "CDN errors in Asia" in filtered.text and "Checkout database slow" not in filtered.text
    # Search reaches the updates too.
    found = alice.get("/", params={"q": "replica LAG"})
    assert "Checkout database slow" in found.text and "CDN errors" not in found.text
    export = alice.get("/incidents.csv", params={"severity": "SEV2"})
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert [int(r["id"]) for r in rows] == [ids["db"]]
    assert rows[0]["title"] == "Checkout database slow" and rows[0]["commander"] == "UALICE"
    assert "declared_at" in rows[0] and "reference" in rows[0]


def test_private_incident_is_404_for_non_members(world: World) -> None:
    ids = seed(world)
    alice = world.sign_in("UALICE")
    assert alice.get(f"/incidents/{ids['secret']}").status_code == 404
    assert "Leaked" not in alice.get("/", params={"q": "leaked"}).text
    assert "Leaked" not in alice.get("/incidents.csv").text
    assert alice.get(f"/incidents/{ids['secret']}/phases.png").status_code == 404
    bob = world.sign_in("UBOB")
    shown = bob.get(f"/incidents/{ids['secret']}")
    assert shown.status_code == 200 and "Leaked credentials" in shown.text
    assert "Leaked credentials" in bob.get("/incidents.csv").text
    admin = world.sign_in("UADMIN")  # an admin sees every incident, as in Slack
    assert admin.get(f"/incidents/{ids['secret']}").status_code == 200


def test_incident_page_timeline_oldest_first_and_people_by_name(world: World) -> None:
    ids = seed(world)
    alice = world.sign_in("UALICE")
    page = alice.get(f"/incidents/{ids['db']}")
    assert page.status_code == 200
    text = page.text
    assert text.index("Replica lag is the cause") < text.index("Failover done, watching")
    assert "Alice Martin" in text
    assert 'title="2026-03-02' in text  # UTC on hover
    assert "CET" in text  # the configured zone (Europe/Paris)
    assert 'href="https://slack.com/app_redirect?channel=C0DB"' in text
    chart = alice.get(f"/incidents/{ids['db']}/phases.png")
    assert chart.status_code == 200 and chart.content.startswith(b"\x89PNG")


def test_user_text_is_escaped(world: World) -> None:
    ids = seed(world)
    alice = world.sign_in("UALICE")
    for path in ("/", f"/incidents/{ids['xss']}"):
        text = alice.get(path).text
        assert "<script>alert(1)</script>" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_bad_filter_says_what_to_type(world: World) -> None:
    alice = world.sign_in("UALICE")
    answer = alice.get("/", params={"from": "yesterday"})
    assert answer.status_code == 400
    assert "is a date such as" in answer.text
    assert alice.get("/incidents/abc").status_code == 404
    assert alice.get("/figures", params={"days": "-3"}).status_code == 400


@pytest.mark.parametrize("days", [7, 30])
def test_figures_equal_stats_json(world: World, days: int) -> None:
    import json
    import re

    from firefighter.stats import measure
    from firefighter.stats.report import metrics_json

    seed(world)
    alice = world.sign_in("UALICE")
    page = alice.get("/figures", params={"days": days}).text
    expected = metrics_json(
        measure(world.core.factory, world.settings, now=world.clock.now, days=days)
    )
    shown = dict(re.findall(r'data-figure="([^"]+)">([^<]*)<', page))
    assert shown["current.declared_total"] == str(expected["current"]["declared_total"])
    assert shown["open_now.total"] == str(expected["open_now"]["total"])
    assert shown["current.declared.SEV2"] == str(expected["current"]["declared"].get("SEV2", 0))
    assert shown["followups.opened"] == str(expected["followups"]["opened"])
    assert json.dumps(expected)  # the page's source is the JSON itself


def test_the_csv_streams_chunk_after_chunk(world: World) -> None:
    from zoneinfo import ZoneInfo

    from firefighter.incidents.listing import Filters, csv_stream

    ids = seed(world)
    parts = list(csv_stream(world.core.factory, Filters(), "UBOB", ZoneInfo("UTC"), chunk=1))
    assert len(parts) == 1 + 4  # the header, then one chunk per incident
    rows = list(csv.DictReader(io.StringIO("".join(parts))))
    assert sorted(int(r["id"]) for r in rows) == sorted(ids.values())
    # Every cell is the CLI's JSON value, as `csv_row` derives it from `incident_json`.
    from firefighter.incidents.listing import CSV_FIELDS, csv_row
    from firefighter.incidents.models import Incident

    with world.core.factory() as session:
        for row in rows:
            expected = [str(v) for v in csv_row(session.get(Incident, int(row["id"])))]
            assert [row[name] for name in CSV_FIELDS] == expected


def test_the_weekly_chart_is_a_png_for_the_signed_in_only(world: World) -> None:
    seed(world)
    assert world.client().get("/figures/weekly.png").status_code == 401
    alice = world.sign_in("UALICE")
    for weeks in ("12", "12", "5"):  # kept, kept again, drawn for this view only
        chart = alice.get("/figures/weekly.png", params={"weeks": weeks})
        assert chart.status_code == 200 and chart.content.startswith(b"\x89PNG")
    shown = alice.get("/figures", params={"days": 90}).text
    assert "/figures/weekly.png?weeks=12" in shown
