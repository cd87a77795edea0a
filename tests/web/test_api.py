"""The REST API over real HTTP: every endpoint, who may do what, idempotent declare, OpenAPI."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from openapi_spec_validator import validate

from firefighter.web.api.tokens import create, revoke
from tests.slack.conftest import Bot


def _token(bot: Bot, name: str, *, read_only: bool = False) -> str:
    return create(bot.core.factory, name, read_only=read_only, now=bot.core.service.clock())[1]


class Api:
    def __init__(self, bot: Bot, token: str | None) -> None:
        self.base = f"{bot.url}/api/v1"
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, **params: Any) -> requests.Response:
        return requests.get(self.base + path, params=params, headers=self.headers, timeout=10)

    def post(self, path: str, body: Any, **headers: str) -> requests.Response:
        return requests.post(
            self.base + path, json=body, headers={**self.headers, **headers}, timeout=10
        )


@pytest.fixture
def api(bot: Bot) -> Api:
    return Api(bot, _token(bot, "deploy-bot"))


def test_declare_is_idempotent_opens_the_channel_and_is_recorded_under_the_token(
    bot: Bot, api: Api
) -> None:
    body = {"title": "Checkout is down", "severity": "SEV2", "component": "payments"}
    first = api.post("/incidents", body, **{"Idempotency-Key": "deploy-42"})
    assert first.status_code == 201, first.text
    incident = first.json()
    assert incident["title"] == "Checkout is down" and incident["severity"] == "SEV2"
    again = api.post("/incidents", body, **{"Idempotency-Key": "deploy-42"})
    assert again.status_code == 200 and again.json()["id"] == incident["id"]
    changed = api.post("/incidents", {**body, "title": "Other"}, **{"Idempotency-Key": "deploy-42"})
    assert changed.status_code == 422 and "Idempotency-Key" in changed.json()["error"]
    assert len(api.get("/incidents").json()["items"]) == 1
    # The same core command as Slack: the channel opens and the incident is announced.
    bot.settle()
    declared = bot.incident(incident["id"])
    assert declared.channel_id
    assert any("Checkout is down" in m.text for m in bot.emulator.messages(bot.incidents_channel))
    shown = api.get(f"/incidents/{incident['id']}").json()
    assert shown["timeline"][0]["actor"] == "deploy-bot"


def test_list_filters_and_pages_with_a_cursor(bot: Bot, api: Api) -> None:
    for n in range(5):
        severity = "SEV1" if n % 2 else "SEV3"
        assert api.post("/incidents", {"title": f"Outage {n}", "severity": severity}).ok
    page = api.get("/incidents", limit=2).json()
    assert [i["title"] for i in page["items"]] == ["Outage 4", "Outage 3"]
    rest = api.get("/incidents", limit=2, cursor=page["next_cursor"]).json()
    assert [i["title"] for i in rest["items"]] == ["Outage 2", "Outage 1"]
    last = api.get("/incidents", limit=2, cursor=rest["next_cursor"]).json()
    assert [i["title"] for i in last["items"]] == ["Outage 0"] and last["next_cursor"] is None
    assert {i["title"] for i in api.get("/incidents", severity="SEV1").json()["items"]} == {
        "Outage 1",
        "Outage 3",
    }
    assert [i["title"] for i in api.get("/incidents", q="outage 2").json()["items"]] == ["Outage 2"]
    assert api.get("/incidents", drills="true").json()["items"] == []
    fields = set(page["items"][0])
    assert {"id", "title", "status", "severity", "channel_id", "commander", "private"} <= fields
    assert {"created_at", "postmortem_url"} <= fields
    too_many = api.get("/incidents", limit=501)
    assert too_many.status_code == 422 and "limit" in too_many.json()["error"]
    bad = api.get("/incidents", **{"from": "yesterday"})
    assert bad.status_code == 422 and bad.json()["error"].startswith("from:")


def test_update_move_followups_alerts_and_stats(bot: Bot, api: Api) -> None:
    incident = api.post("/incidents", {"title": "Slow search", "severity": "SEV3"}).json()
    number = incident["id"]
    updated = api.post(f"/incidents/{number}/updates", {"text": "Rolling back"})
    assert updated.status_code == 200, updated.text
    assert any(e["text"] == "Rolling back" for e in updated.json()["timeline"])
    moved = api.post(f"/incidents/{number}/status", {"status": "mitigated"})
    assert moved.status_code == 200 and moved.json()["status"] == "mitigated"
    refused = api.post(f"/incidents/{number}/status", {"status": "open"})
    assert refused.status_code == 409, refused.text
    unknown = api.post(f"/incidents/{number}/status", {"state": "closed"})
    assert unknown.status_code == 422 and "status" in unknown.json()["error"]
    added = api.post(
        f"/incidents/{number}/followups", {"title": "Add an index", "due": "2099-01-31"}
    )
    assert added.status_code == 201, added.text
    assert added.json()["title"] == "Add an index" and added.json()["due"] == "2099-01-31"
    followups = api.get("/followups").json()
    assert [f["title"] for f in followups] == ["Add an index"]
    nameless = api.post(f"/incidents/{number}/followups", {"due": "2099-01-31"})
    assert nameless.status_code == 422 and "title" in nameless.json()["error"]
    assert api.get("/alerts").json() == []
    stats = api.get("/stats", days=30)
    assert stats.status_code == 200 and isinstance(stats.json(), dict)


def test_who_may_do_what(bot: Bot, api: Api) -> None:
    anonymous = Api(bot, None)
    assert anonymous.get("/incidents").status_code == 401
    assert Api(bot, "ff_not-a-token").get("/incidents").status_code == 401
    reader = Api(bot, _token(bot, "dashboard", read_only=True))
    assert reader.get("/incidents").status_code == 200
    refused = reader.post("/incidents", {"title": "No", "severity": "SEV3"})
    assert refused.status_code == 403 and "read-only" in refused.json()["error"]
    revoke(bot.core.factory, "dashboard", now=bot.core.service.clock())
    assert reader.get("/incidents").status_code == 401
    # A private incident is not there for a token, wherever it would appear.
    hidden = bot.core.service.declare(
        title="Secret breach", severity="SEV1", actor="U_ALICE", private=True
    )
    assert api.get(f"/incidents/{hidden.id}").status_code == 404
    assert api.post(f"/incidents/{hidden.id}/updates", {"text": "x"}).status_code == 404
    assert all(i["id"] != hidden.id for i in api.get("/incidents").json()["items"])
    assert api.get("/incidents/999").status_code == 404


def test_the_authorisation_table_decides_for_a_token(bot: Bot, api: Api) -> None:
    bot.core.service.policy.declarers = ["U_ALICE"]
    refused = api.post("/incidents", {"title": "Not allowed", "severity": "SEV3"})
    assert refused.status_code == 403, refused.text


def test_the_openapi_document_is_valid_and_has_a_docs_page(bot: Bot) -> None:
    document = requests.get(f"{bot.url}/api/v1/openapi.json", timeout=10).json()
    validate(document)
    assert "/api/v1/incidents" in document["paths"]
    assert {"/api/v1/gamedays", "/api/v1/gamedays/{gameday_id}"} <= set(document["paths"])
    assert not any(p.startswith(("/slack", "/alerts")) for p in document["paths"])
    page = requests.get(f"{bot.url}/api/v1/docs", timeout=10)
    assert page.status_code == 200 and "openapi.json" in page.text
    assert "POST /api/v1/incidents</code>" in page.text
    assert "<script" not in page.text and "cdn" not in page.text.lower()


def test_game_days_and_one_board(bot: Bot, api: Api) -> None:
    from sqlalchemy import update

    from firefighter.incidents.models import Incident
    from tests.gameday.helpers import two_teams

    assert api.get("/gamedays").json() == []
    bot.core.settings.gameday_channel = "C0GAMEDAY"
    gamedays = bot.core.gamedays()
    gamedays.load(two_teams(), source="test.yaml", actor=None)
    day = gamedays.start("Test day", actor="U_DAVE")
    gamedays.tick()
    listed = api.get("/gamedays").json()
    assert [(g["id"], g["name"], g["status"]) for g in listed] == [(day.id, "Test day", "running")]
    assert {"mode", "source", "loaded_at", "started_at", "ended_at", "report_url"} <= set(listed[0])
    one = api.get(f"/gamedays/{day.id}").json()
    red = next(t for t in one["board"]["teams"] if t["team"] == "red")
    drill = red["drills"][0]
    assert drill["title"] == "Checkout answers 502" and drill["reference"].startswith("INC-")
    assert isinstance(drill["points"], int) and one["board"]["scenarios_total"] == 2
    # A drill made private shows its title to its members only; a token is nobody's.
    with bot.core.factory.begin() as session:
        session.execute(
            update(Incident).where(Incident.id == drill["incident_id"]).values(private=True)
        )
    hidden = api.get(f"/gamedays/{day.id}").json()["board"]["teams"]
    assert next(t for t in hidden if t["team"] == "red")["drills"][0]["title"] is None
    assert api.get("/gamedays/999").status_code == 404
    assert "Game Day" in api.get("/gamedays/999").json()["error"]
    assert Api(bot, None).get("/gamedays").status_code == 401


def test_declare_refuses_an_unknown_component_naming_the_field(bot: Bot, api: Api) -> None:
    refused = api.post("/incidents", {"title": "Slow", "severity": "SEV3", "component": "teapot"})
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"].startswith("component: Unknown component 'teapot'.")
    assert api.get("/incidents").json()["items"] == []
    blank = api.post("/incidents", {"title": "   ", "severity": "SEV3"})
    assert blank.status_code == 422 and blank.json()["error"].startswith("title: "), blank.text
