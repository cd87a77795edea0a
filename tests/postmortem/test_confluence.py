"""Publishing to Confluence through the real client and the loopback emulator: one page per
incident, whatever fails and whenever it fails."""

from __future__ import annotations

import socket
import threading
import xml.etree.ElementTree as ET
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from firefighter import faults
from firefighter.atlassian_site import is_cloud_url
from firefighter.bootstrap import Core
from firefighter.incidents import effects
from firefighter.incidents.models import TimelineEvent
from firefighter.postmortem.confluence import (
    ConfluencePublisher,
    ConfluenceUnavailable,
    make_client,
)
from firefighter.postmortem.document import build_view
from firefighter.postmortem.handler import render_page
from firefighter.settings import ConfigError, Settings
from tests.conftest import FakeClock
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

HOSTILE = "Tom & Jerry <script>x</script> \"q\" 'a' ]]> 🔥 שלום"


def parse(body: str) -> ET.Element:
    return ET.fromstring(
        '<root xmlns:ac="http://atlassian.com/content" '
        f'xmlns:ri="http://atlassian.com/resource/identifier">{body}</root>'
    )


def ours(confluence: Confluence) -> list[Any]:
    return [p for p in confluence.children(confluence.parent_id) if p.title.startswith("INC-")]


def published_events(core: Core, incident_id: int) -> list[TimelineEvent]:
    with core.factory() as session:
        return list(
            session.scalars(
                select(TimelineEvent).where(
                    TimelineEvent.incident_id == incident_id,
                    TimelineEvent.kind == "postmortem_published",
                )
            )
        )


@pytest.fixture
def core_on_confluence(core: Core, settings: Settings, confluence: Confluence) -> Core:
    return use_settings(core, confluence_settings(settings, confluence))


def test_export_twice_gives_one_page_at_version_two(
    core_on_confluence: Core, confluence: Confluence
) -> None:
    core = core_on_confluence
    first = to_postmortem(core)
    worker(core).drain()

    [page] = ours(confluence)
    assert page.title == f"INC-{first.id}: Checkout returns 502 (SEV2)"
    assert page.version == 1
    stored = incident(core, first.id)
    assert stored.postmortem_page_id == page.id
    assert stored.postmortem_url == f"{confluence.url}/pages/viewpage.action?pageId={page.id}"
    [chart] = confluence.attachments(page.id)
    assert chart.title == f"INC-{first.id}-timeline.png"
    assert chart.data.startswith(b"\x89PNG")

    core.service.add_update(first.id, "Root cause found: a feature flag.", actor="U_BOB")
    core.service.request_postmortem(first.id, actor="U_BOB")
    worker(core).drain()

    [page] = ours(confluence)
    assert page.version == 2
    assert "Root cause found: a feature flag." in page.body
    assert "Root cause found" not in page.versions[0].body
    [chart] = confluence.attachments(page.id)
    assert chart.version == 2  # the new update is a new marker on the chart
    assert [e.data["first"] for e in published_events(core, first.id)] == [True, False]
    assert len(outbox(core, effects.POSTMORTEM_PUBLISHED)) == 2


def test_unchanged_export_keeps_the_version_but_still_links_back(
    core_on_confluence: Core, confluence: Confluence
) -> None:
    core = core_on_confluence
    first = to_postmortem(core)
    worker(core).drain()
    core.service.request_postmortem(first.id, actor="U_BOB")
    worker(core).drain()

    [page] = ours(confluence)
    assert page.version == 1
    [chart] = confluence.attachments(page.id)
    assert chart.version == 1
    assert len(published_events(core, first.id)) == 2


def test_authors_sections_survive_a_re_export(
    core_on_confluence: Core, confluence: Confluence
) -> None:
    core = core_on_confluence
    first = to_postmortem(core)
    worker(core).drain()
    [page] = ours(confluence)
    written = page.body.replace(
        "<h2>Root causes</h2>", "<h2>Root causes</h2><p>The flag &amp; its default.</p>"
    )
    confluence.edit_page(page.id, written)

    core.service.add_update(first.id, "Flag removed everywhere.", actor="U_BOB")
    core.service.request_postmortem(first.id, actor="U_BOB")
    worker(core).drain()

    [page] = ours(confluence)
    assert page.version == 3
    assert "The flag &amp; its default." in page.body
    assert "Flag removed everywhere." in page.body


def test_someone_saving_at_the_same_moment_is_merged_not_lost(
    core_on_confluence: Core, confluence: Confluence
) -> None:
    core = core_on_confluence
    first = to_postmortem(core)
    worker(core).drain()
    core.service.add_update(first.id, "Customers refunded.", actor="U_BOB")
    core.service.request_postmortem(first.id, actor=None)
    confluence.fail_next(409, method="PUT")  # as if a person saved just before us

    worker(core).drain()

    [page] = ours(confluence)
    assert page.version == 2
    assert "Customers refunded." in page.body
    assert outbox(core, effects.EXPORT_POSTMORTEM)[-1].attempts == 0


def test_page_whose_boundary_was_removed_is_not_overwritten(
    core_on_confluence: Core, confluence: Confluence
) -> None:
    core = core_on_confluence
    first = to_postmortem(core)
    worker(core).drain()
    [page] = ours(confluence)
    rewritten = page.body.split('<ac:structured-macro ac:name="info">')[0] + "<p>Our story.</p>"
    confluence.edit_page(page.id, rewritten)

    core.service.request_postmortem(first.id, actor=None)
    worker(core).drain()

    [page] = ours(confluence)
    assert page.version == 2 and page.body == rewritten
    [notice] = [n for n in notices(core) if n["key"].startswith("postmortem-failed:")]
    assert f"did not overwrite page {page.id}" in notice["text"]
    assert outbox(core, effects.EXPORT_POSTMORTEM)[-1].dead_at is not None


def test_hostile_incident_is_accepted_by_confluence(
    core_on_confluence: Core, confluence: Confluence
) -> None:
    core = core_on_confluence
    description = ((HOSTILE + "\n") * 300)[:10_000]
    first = to_postmortem(core, title=HOSTILE, description=description)
    for _ in range(4):
        core.service.add_update(first.id, (HOSTILE + " ") * 60, actor="U_BOB")
    core.service.request_postmortem(first.id, actor=None)
    worker(core).drain()

    [page] = ours(confluence)  # the emulator answers 400 to a body that is not XML
    assert page.title == f"INC-{first.id}: {HOSTILE} (SEV2)"
    cells = ["".join(td.itertext()) for td in parse(page.body).iter("td")]
    assert cells.count(((HOSTILE + " ") * 60).strip()) == 4  # every byte back, as text
    assert f"Incident declared: {HOSTILE} (SEV2)" in cells


def test_crash_before_recording_adopts_the_page(
    core_on_confluence: Core,
    confluence: Confluence,
    frozen: FakeClock,
) -> None:
    core = core_on_confluence
    first = to_postmortem(core)
    calls: list[str] = []

    def crash_once(incident_id: str) -> None:
        calls.append(incident_id)
        if len(calls) == 1:
            raise RuntimeError("worker killed between Confluence and the database")

    core.faults.arm(faults.PAGE_PUBLISHED, crash_once)
    dispatcher = worker(core)
    dispatcher.drain()
    assert len(ours(confluence)) == 1
    assert incident(core, first.id).postmortem_page_id is None

    frozen.advance(seconds=400)
    dispatcher.drain()

    [page] = ours(confluence)
    assert calls == [str(first.id), str(first.id)]  # published twice: the same page
    assert incident(core, first.id).postmortem_page_id == page.id
    [item] = outbox(core, effects.EXPORT_POSTMORTEM)
    assert item.delivered_at is not None


def test_answer_lost_after_create_adopts_the_page(
    core_on_confluence: Core, confluence: Confluence, frozen: FakeClock
) -> None:
    core = core_on_confluence
    first = to_postmortem(core)
    confluence.fail_next(504, after=True, method="POST", path="/rest/api/content")
    dispatcher = worker(core)
    dispatcher.drain()
    assert len(ours(confluence)) == 1  # Confluence made it; we never heard back

    frozen.advance(seconds=400)
    dispatcher.drain()

    [page] = ours(confluence)
    assert incident(core, first.id).postmortem_page_id == page.id


def test_foreign_page_with_our_title_gets_left_alone(
    core_on_confluence: Core, confluence: Confluence
) -> None:
    core = core_on_confluence
    first = to_postmortem(core)
    title = f"INC-{first.id}: Checkout returns 502 (SEV2)"
    foreign = confluence.add_page(
        title, "<p>Hand-written notes.</p>", parent_id=confluence.parent_id
    )

    worker(core).drain()
    core.service.add_update(first.id, "More news.", actor="U_BOB")
    core.service.request_postmortem(first.id, actor=None)
    worker(core).drain()

    pages = {p.title: p for p in ours(confluence)}
    assert set(pages) == {title, f"{title} (2)"}
    assert pages[title].id == foreign
    assert pages[title].version == 1 and pages[title].body == "<p>Hand-written notes.</p>"
    assert pages[f"{title} (2)"].version == 2
    assert incident(core, first.id).postmortem_page_id == pages[f"{title} (2)"].id


def test_severity_change_after_a_crash_still_finds_the_page(
    core_on_confluence: Core,
    confluence: Confluence,
    frozen: FakeClock,
) -> None:
    core = core_on_confluence
    first = to_postmortem(core)

    def crash(incident_id: str) -> None:
        raise RuntimeError(f"worker killed before recording INC-{incident_id}")

    core.faults.arm(faults.PAGE_PUBLISHED, crash)
    worker(core).drain()
    assert incident(core, first.id).postmortem_page_id is None
    core.faults.disarm(faults.PAGE_PUBLISHED)
    core.service.set_severity(first.id, "SEV1", actor="U_BOB")

    frozen.advance(seconds=400)
    worker(core).drain()

    [page] = ours(confluence)
    assert page.title == f"INC-{first.id}: Checkout returns 502 (SEV1)"
    assert page.version == 2


def test_confluence_down_then_back_gives_one_page_and_one_notice(
    core_on_confluence: Core, confluence: Confluence, frozen: FakeClock
) -> None:
    core = core_on_confluence
    first = to_postmortem(core)
    confluence.fail_next(500, times=3)
    dispatcher = worker(core)

    dispatcher.drain()  # the Slack stand-ins take the effects queued before the export
    for _ in range(10):
        dispatcher.run_once()
        [item] = outbox(core, effects.EXPORT_POSTMORTEM)
        if item.delivered_at is not None:
            break
        assert ours(confluence) == []
        frozen.advance(seconds=400)

    [page] = ours(confluence)
    assert item.delivered_at is not None and item.attempts == 3
    delayed = [n for n in notices(core) if n["key"].startswith("postmortem-delayed:")]
    assert len(delayed) == 1
    assert delayed[0]["incident_id"] == first.id
    assert f"INC-{first.id} is delayed" in delayed[0]["text"]
    assert incident(core, first.id).postmortem_page_id == page.id


def test_each_export_request_is_its_own_delay_episode(
    core_on_confluence: Core, confluence: Confluence, frozen: FakeClock
) -> None:
    core = core_on_confluence
    first = to_postmortem(core)
    confluence.fail_next(503)
    dispatcher = worker(core)
    dispatcher.drain()
    frozen.advance(seconds=400)
    dispatcher.drain()
    core.service.request_postmortem(first.id, actor=None)
    confluence.fail_next(503)
    dispatcher.drain()
    frozen.advance(seconds=400)
    dispatcher.drain()

    delayed = [n for n in notices(core) if n["key"].startswith("postmortem-delayed:")]
    assert len(delayed) == 2
    assert len(ours(confluence)) == 1


@pytest.mark.parametrize("status", [401, 403])
def test_refusal_is_dead_lettered_with_one_clear_message(
    core: Core, settings: Settings, confluence: Confluence, status: int
) -> None:
    if status == 401:
        use_settings(core, confluence_settings(settings, confluence, confluence_api_token="wrong"))
    else:
        use_settings(core, confluence_settings(settings, confluence))
        confluence.fail_next(403, method="POST", path="/rest/api/content")
    first = to_postmortem(core)
    worker(core).drain()

    [item] = outbox(core, effects.EXPORT_POSTMORTEM)
    assert item.dead_at is not None and item.attempts == 1
    [notice] = [n for n in notices(core) if n["key"].startswith("postmortem-")]
    if status == 401:
        assert f"rejected the credentials of {USER} (HTTP 401)" in notice["text"]
        assert "CONFLUENCE_API_TOKEN" in notice["text"]
    else:
        assert f"{USER} is not allowed to create the page" in notice["text"]
        assert "'Add page' permission in space ENG" in notice["text"]
    assert item.last_error is not None and f"(HTTP {status})" in item.last_error
    assert ours(confluence) == []
    assert incident(core, first.id).postmortem_page_id is None


# ---- Cloud and Data Center -------------------------------------------------------------


def base_settings(**values: Any) -> Settings:
    return Settings(_env_file=None, confluence_space="ENG", **values)  # type: ignore[call-arg]


def test_cloud_url_selects_the_v1_client_under_wiki_with_basic_auth() -> None:
    assert is_cloud_url("https://acme.atlassian.net/wiki")
    assert is_cloud_url("https://acme.jira.com")
    assert not is_cloud_url("https://confluence.acme.com")
    assert not is_cloud_url("https://atlassian.net.evil.example")

    client = make_client(
        base_settings(
            confluence_url="https://acme.atlassian.net",
            confluence_username=USER,
            confluence_api_token=TOKEN,
        )
    )
    assert client.url == "https://acme.atlassian.net/wiki"
    assert client.cloud is True
    assert client.session.auth == (USER, TOKEN)
    # The same client class as Data Center: REST v1 content resources, not the v2-only one.
    assert hasattr(client, "create_page")
    assert client.url_joiner(client.url, "rest/api/content") == (
        "https://acme.atlassian.net/wiki/rest/api/content"
    )


def test_cloud_without_username_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="CONFLUENCE_USERNAME"):
        make_client(
            base_settings(
                confluence_url="https://acme.atlassian.net/wiki", confluence_api_token=TOKEN
            )
        )


def test_url_without_scheme_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="CONFLUENCE_URL"):
        make_client(base_settings(confluence_url="acme.atlassian.net", confluence_api_token="t"))


def test_data_center_basic_auth_or_personal_access_token() -> None:
    basic = make_client(
        base_settings(
            confluence_url="https://confluence.acme.com/",
            confluence_username="bot",
            confluence_api_token="pw",
        )
    )
    assert basic.url == "https://confluence.acme.com"
    assert basic.cloud is False
    assert basic.session.auth == ("bot", "pw")

    pat = make_client(
        base_settings(confluence_url="https://confluence.acme.com", confluence_api_token="pat")
    )
    assert pat.session.headers["Authorization"] == "Bearer pat"


def test_publishing_through_a_cloud_style_client_on_wiki(
    core: Core, settings: Settings, confluence: Confluence
) -> None:
    cloud = confluence_settings(settings, confluence, url=confluence.cloud_url)
    use_settings(core, cloud)
    publisher = ConfluencePublisher.from_settings(cloud, cloud=True)
    assert publisher.client.cloud is True
    first = to_postmortem(core)
    worker(core, publisher=publisher).drain()

    [page] = ours(confluence)
    url = incident(core, first.id).postmortem_url
    assert url == f"{confluence.cloud_url}/spaces/ENG/pages/{page.id}"
    assert confluence.calls and all(path.startswith("/wiki/") for _, path in confluence.calls)


def test_data_center_personal_access_token_publishes(core: Core, settings: Settings) -> None:
    with Confluence(username=None, token="pat-123", spaces=("OPS",)) as site:
        dc = settings.model_copy(
            update={
                "confluence_url": site.url,
                "confluence_api_token": "pat-123",
                "confluence_space": "OPS",
            }
        )
        use_settings(core, dc)
        to_postmortem(core)
        worker(core).drain()
        [page] = site.pages("OPS")
        assert page.title.endswith("(SEV2)")


# ---- the publisher alone: timeouts and refused connections ------------------------------


def publisher_for(url: str, settings: Settings, timeout: int = 1) -> ConfluencePublisher:
    values = {
        "confluence_url": url,
        "confluence_username": USER,
        "confluence_api_token": TOKEN,
        "confluence_space": "ENG",
    }
    client = make_client(settings.model_copy(update=values), timeout=timeout)
    return ConfluencePublisher(client, space="ENG")


@pytest.fixture
def page_of_incident(core: Core) -> Any:
    first = to_postmortem(core)
    with core.factory() as session:
        from firefighter.incidents import queries

        view = build_view(
            queries.get_incident(session, first.id),
            queries.timeline(session, first.id),
            zone=core.settings.zone,
        )
    return render_page(view)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_slow_create_still_makes_one_page(
    confluence: Confluence, settings: Settings, page_of_incident: Any
) -> None:
    publisher = publisher_for(confluence.url, settings)
    confluence.fail_next(0, delay=1.5, method="POST", path="/rest/api/content")
    with pytest.raises(ConfluenceUnavailable, match="did not answer"):
        publisher.publish(page_of_incident, None)

    published = publisher.publish(page_of_incident, None)

    assert [p.id for p in confluence.pages() if p.title.startswith("INC-")] == [published.page_id]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_connection_refused_is_retried_later(settings: Settings, page_of_incident: Any) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    publisher = publisher_for(f"http://127.0.0.1:{port}", settings)
    with pytest.raises(ConfluenceUnavailable, match="did not answer"):
        publisher.publish(page_of_incident, None)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_two_workers_racing_make_one_page(
    confluence: Confluence, settings: Settings, page_of_incident: Any
) -> None:
    # Both searches are answered together, so both workers decide the page does not exist;
    # Confluence accepts one create, and the loser must adopt the winner's page. The first
    # chart upload is held back too, so the other worker uploads the same file name first.
    confluence.fail_next(0, times=2, together=True, method="GET", path="/rest/api/content?")
    confluence.fail_next(0, times=1, delay=0.5, method="POST", path="/child/attachment")
    publishers = [publisher_for(confluence.url, settings, timeout=15) for _ in range(2)]
    results: list[Any] = []
    threads = [
        threading.Thread(target=lambda p=p: results.append(p.publish(page_of_incident, None)))
        for p in publishers
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    pages = [p for p in confluence.pages() if p.title.startswith("INC-")]
    assert len(pages) == 1
    assert len(results) == 2, "a worker failed"
    assert {r.page_id for r in results} == {pages[0].id}
    assert len(confluence.attachments(pages[0].id)) == 1
    posts = [path for method, path in confluence.calls if method == "POST"]
    assert len([p for p in posts if p.rstrip("/").endswith("/rest/api/content")]) == 2  # raced


def test_followups_are_listed_and_authors_sections_kept_on_re_export(
    core_on_confluence: Core, confluence: Confluence
) -> None:
    core = core_on_confluence
    first = to_postmortem(core)
    fid = core.followups.add(first.id, "Add retries & backoff", actor="U_BOB", owner="U_BOB").id
    core.followups.record_jira(fid, "OPS-7", "https://jira.example/browse/OPS-7")
    worker(core).drain()
    [page] = ours(confluence)
    followups = page.body.split("<h2>Follow-ups</h2>")[1].split("firefighter-authors")[0]
    assert "Add retries &amp; backoff" in followups
    assert '<a href="https://jira.example/browse/OPS-7">OPS-7</a>' in followups
    assert ">OPEN<" in followups
    assert page.body.index("<h2>Follow-ups</h2>") < page.body.index("<h2>Root causes</h2>")
    confluence.edit_page(
        page.id,
        page.body.replace(
            "<h2>Root causes</h2>", "<h2>Root causes</h2><p>The flag &amp; its default.</p>"
        ),
    )

    core.followups.close(fid, actor="U_BOB")
    core.followups.add(first.id, "Alert on queue depth", actor="U_BOB", due=date(2026, 3, 31))
    core.service.request_postmortem(first.id, actor="U_BOB")
    worker(core).drain()

    [page] = ours(confluence)
    followups = page.body.split("<h2>Follow-ups</h2>")[1].split("firefighter-authors")[0]
    assert ">DONE<" in followups and "Alert on queue depth" in followups
    assert "2026-03-31" in followups
    assert "The flag &amp; its default." in page.body
    assert page.body.count("<h2>Follow-ups</h2>") == 1
