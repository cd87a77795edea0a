"""Rendering is pure: an incident in, storage format (or HTML) out. Read it as XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from firefighter.incidents.followup_models import FollowUp
from firefighter.incidents.models import Incident, IncidentRole, TimelineEvent
from firefighter.postmortem.chart import timeline_chart
from firefighter.postmortem.document import PostmortemView, build_view
from firefighter.postmortem.followup_section import followup_lines
from firefighter.postmortem.handler import template_path
from firefighter.postmortem.render import (
    AuthorsSectionLost,
    InvalidStorage,
    is_ours,
    merge_authors,
    render_html,
    render_storage,
)
from firefighter.settings import DEFAULT_SEVERITIES, ConfigError, Severity
from firefighter.text import format_duration

AC = "{http://atlassian.com/content}"
RI = "{http://atlassian.com/resource/identifier}"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOSTILE = "Tom & Jerry <script>alert(1)</script> \"quoted\" 'single' ]]> 🔥🚒 שלום עולם مرحبا"


def parse(body: str) -> ET.Element:
    """The storage body as Confluence would read it: a fragment using ac: and ri:."""
    return ET.fromstring(
        '<root xmlns:ac="http://atlassian.com/content" '
        f'xmlns:ri="http://atlassian.com/resource/identifier">{body}</root>'
    )


def text_of(element: ET.Element) -> str:
    return "".join(element.itertext())


def event(minutes: float, kind: str, actor: str | None, text: str, **data: Any) -> TimelineEvent:
    return TimelineEvent(
        at=T0 + timedelta(minutes=minutes), kind=kind, actor=actor, text=text, data=data
    )


def make_view(
    *,
    title: str = "Checkout returns 502",
    description: str = "Payments answer 502 since the deploy.",
    updates: list[str] | None = None,
    drill: bool = False,
    zone: str = "Europe/Paris",
    closed: bool = False,
    severity: str = "SEV2",
    severities: list[Severity] = DEFAULT_SEVERITIES,
) -> PostmortemView:
    incident = Incident(
        id=42,
        title=title,
        description=description,
        status="closed" if closed else "postmortem",
        severity=severity,
        component="payments",
        private=False,
        drill=drill,
        declared_at=T0,
        started_at=T0 - timedelta(minutes=20),
        detected_at=T0 - timedelta(minutes=5),
        acknowledged_at=T0 + timedelta(minutes=3),
        mitigated_at=T0 + timedelta(minutes=50),
        closed_at=T0 + timedelta(hours=26) if closed else None,
        closure_reason="resolved" if closed else None,
        version=9,
    )
    incident.roles = [
        IncidentRole(role="scribe", user_id="U_CAROL"),
        IncidentRole(role="commander", user_id="U_BOB"),
    ]
    events = [
        event(0, "declared", "U_ALICE", f"Incident declared: {title} (SEV3)"),
        event(
            1, "severity_changed", "U_ALICE", "Severity changed", **{"from": "SEV3", "to": "SEV2"}
        ),
        event(3, "role_assigned", "U_ALICE", "Incident commander: <@U_BOB>", role="commander"),
        event(5, "status_changed", "U_BOB", "x", **{"from": "open", "to": "investigating"}),
        event(20, "status_changed", "U_BOB", "x", **{"from": "investigating", "to": "mitigating"}),
        event(50, "status_changed", "U_BOB", "x", **{"from": "mitigating", "to": "mitigated"}),
        event(70, "status_changed", "U_BOB", "x", **{"from": "mitigated", "to": "postmortem"}),
        event(71, "postmortem_published", None, "Post-mortem published: https://x"),
    ]
    for i, text in enumerate(updates or ["Rolling back the 14:02 deploy."]):
        events.append(event(10 + i * 0.01, "update", "U_DAVE", text))
    if closed:
        events.append(event(26 * 60, "closed", "U_BOB", "Closed (resolved)", to="closed"))
    events.sort(key=lambda e: e.at)
    return build_view(incident, events, zone=ZoneInfo(zone), severities=severities)


def summary_rows(root: ET.Element) -> dict[str, ET.Element]:
    panel = next(m for m in root.iter(f"{AC}structured-macro") if m.get(f"{AC}name") == "panel")
    rows = {}
    for row in panel.iter("tr"):
        header, cell = row.find("th"), row.find("td")
        assert header is not None and cell is not None
        rows[text_of(header)] = cell
    return rows


def test_hostile_text_stays_text_in_well_formed_xml() -> None:
    long_description = ("Ünïcødé & <tags> ]]> " * 500)[:10_000]
    updates = [
        HOSTILE + " \x01\x0b\x1f" + "x" * 2900,
        "<ac:image/> & <![CDATA[ boom ]]>",
        "🚒" * 3000,
    ]
    view = make_view(title=HOSTILE, description=long_description, updates=updates)

    body = render_storage(view, chart_filename="INC-42-timeline.png")
    root = parse(body)  # raises if the hostile text broke the XML

    description = " ".join(text_of(p) for p in root.iter("p") if "Ünïcødé" in text_of(p))
    assert description == long_description.strip()
    cells = [text_of(td) for td in root.iter("td")]
    assert any(HOSTILE in cell for cell in cells)  # the update, escaped, not dropped
    assert "<ac:image/> & <![CDATA[ boom ]]>" in cells
    assert "🚒" * 3000 in cells
    # Nothing the users typed became markup: only our own images and macros exist.
    assert [
        img.find(f"{RI}attachment").get(f"{RI}filename") for img in root.iter(f"{AC}image")
    ] == [  # type: ignore[union-attr]
        "INC-42-timeline.png"
    ]
    assert not list(root.iter("script"))
    assert "\x01" not in body and "\x0b" not in body


def test_bare_urls_become_links_and_hostile_ones_stay_well_formed() -> None:
    updates = [
        "Rolled back, see https://grafana.example/d/1?a=1&b=2&amp;c=3. Then (https://x.example/)",
        'https://evil.example/"><script>alert(1)</script> and javascript:alert(1) '
        "https://q.example/?x=]]>&y=<b>",
        "Not a link: http:// nor ftp://files.example",
    ]
    view = make_view(description="Reported at https://status.example/incidents/7", updates=updates)
    storage = render_storage(view)
    root = parse(storage)  # well-formed despite the hostile URLs
    hrefs = [a.get("href") for a in root.iter("a")]
    assert hrefs == [
        "https://status.example/incidents/7",
        "https://grafana.example/d/1?a=1&b=2&c=3",
        "https://x.example/",
        "https://evil.example/",
        "https://q.example/?x=]]",
    ]
    anchors = {a.get("href"): text_of(a) for a in root.iter("a")}
    assert anchors["https://x.example/"] == "https://x.example/"  # the ")" stays outside
    cells = [text_of(td) for td in root.iter("td")]
    assert any('"><script>alert(1)</script> and javascript:alert(1)' in c for c in cells)
    assert not list(root.iter("script")) and not list(root.iter("b"))
    html = render_html(view)
    assert '<a href="https://grafana.example/d/1?a=1&amp;b=2&amp;c=3">' in html
    evil = '<a href="https://evil.example/">https://evil.example/</a>&#34;&gt;&lt;script&gt;'
    assert evil in html
    assert "<script>alert" not in html and 'href="javascript' not in html
    assert "ftp://files.example</a>" not in html  # only http(s) are linked


def test_summary_panel_shows_status_lozenge_roles_participants_and_duration() -> None:
    root = parse(render_storage(make_view(closed=True)))
    rows = summary_rows(root)

    lozenge = rows["Status"].find(f"{AC}structured-macro")
    assert lozenge is not None and lozenge.get(f"{AC}name") == "status"
    params = {p.get(f"{AC}name"): p.text for p in lozenge.iter(f"{AC}parameter")}
    assert params == {"colour": "Green", "title": "CLOSED"}
    assert text_of(rows["Severity"]).startswith("SEV2: Major")
    assert "earlier: SEV3" in text_of(rows["Severity"])
    assert text_of(rows["Component"]) == "payments"
    assert text_of(rows["Incident commander"]) == "U_BOB"
    assert text_of(rows["Scribe"]) == "U_CAROL"
    assert text_of(rows["Participants"]) == "U_ALICE, U_BOB, U_DAVE"
    # The impact, as "What happened" says it, then how long it stayed open.
    assert text_of(rows["Duration"]) == "1 h 10 min of impact; closed 1 d 2 h after it was declared"
    assert "For 1 h 10 min," in what_happened(make_view(closed=True))
    assert text_of(rows["Closure reason"]) == "resolved"


def what_happened(view: PostmortemView) -> str:
    """The "What happened" paragraph of the storage body, checked to be in the HTML too."""
    root = parse(render_storage(view))
    paragraph = next(text_of(p) for p in root.iter("p") if view.title in text_of(p))
    assert paragraph in render_html(view)
    return paragraph


def test_what_happened_says_whether_customers_were_affected() -> None:
    # By default SEV1/SEV2 are customer-facing, SEV5 is internal, SEV3/SEV4 do not say.
    assert what_happened(make_view(severity="SEV2")).endswith("Customers were affected.")
    assert what_happened(make_view(severity="SEV5")).endswith("Customers were not affected.")
    assert "Customers" not in what_happened(make_view(severity="SEV3"))
    # A configured severity without the key (older FIREFIGHTER_SEVERITIES) stays quiet.
    legacy = [Severity.model_validate({"name": "SEV2", "description": "Major"})]
    assert legacy[0].customer_facing is None
    assert "Customers" not in what_happened(make_view(severities=legacy))
    internal = [Severity(name="SEV2", description="Major", customer_facing=False)]
    assert what_happened(make_view(severities=internal)).endswith("Customers were not affected.")


def test_status_colour_follows_the_state() -> None:
    rows = summary_rows(parse(render_storage(make_view())))
    params = {p.get(f"{AC}name"): p.text for p in rows["Status"].iter(f"{AC}parameter")}
    assert params == {"colour": "Blue", "title": "POSTMORTEM"}
    assert "not closed" in text_of(rows["Duration"])


def test_milestones_and_metrics_are_differences_of_milestones() -> None:
    root = parse(render_storage(make_view(closed=True)))
    table = {
        text_of(tr.findall("td")[0]): [text_of(td) for td in tr.findall("td")[1:]]
        for tr in root.iter("tr")
        if len(tr.findall("td")) >= 2
    }
    # The configured zone first, UTC beside.
    assert table["Impact started"] == ["2026-03-02 09:40:00 CET", "2026-03-02 08:40:00"]
    assert table["Declared"] == ["2026-03-02 10:00:00 CET", "2026-03-02 09:00:00"]
    assert table["Time to detect"] == ["detected − started", "15 min"]
    assert table["Time to acknowledge"] == ["acknowledged − declared", "3 min"]
    assert table["Time to mitigate"] == ["mitigated − started", "1 h 10 min"]
    assert table["Time to close"] == ["closed − declared", "1 d 2 h"]


def test_timeline_table_in_utc_and_local_time_without_its_own_publication() -> None:
    root = parse(render_storage(make_view()))
    timeline = [
        [text_of(td) for td in tr.findall("td")]
        for tr in root.iter("tr")
        if len(tr.findall("td")) == 5
    ]
    assert timeline[0][:4] == [
        "2026-03-02 10:00:00 CET",
        "2026-03-02 09:00:00",
        "U_ALICE",
        "Declared",
    ]
    assert [
        "2026-03-02 10:03:00 CET",
        "2026-03-02 09:03:00",
        "U_ALICE",
        "Role",
        "Incident commander: @U_BOB",
    ] in timeline
    assert not any("Post-mortem published" in row[4] for row in timeline)


def test_utc_zone_gets_a_single_time_column() -> None:
    root = parse(render_storage(make_view(zone="UTC")))
    headers = [text_of(th) for th in root.iter("th")]
    assert "Time (UTC)" in headers
    assert not any(h.startswith("Time (") and h != "Time (UTC)" for h in headers)


def test_author_sections_and_task_list_and_chart() -> None:
    root = parse(render_storage(make_view(), chart_filename="INC-42-timeline.png"))
    headings = [text_of(h) for h in root.iter("h2")]
    for section in (
        "Description",
        "Impact",
        "Milestones",
        "Timeline chart",
        "Timeline",
        "Root causes",
        "What went well",
        "What went wrong",
        "Action items",
    ):
        assert section in headings
    tasks = list(root.iter(f"{AC}task"))
    assert len(tasks) == 1
    assert tasks[0].findtext(f"{AC}task-status") == "incomplete"
    attachment = next(root.iter(f"{RI}attachment"))
    assert attachment.get(f"{RI}filename") == "INC-42-timeline.png"


def test_drill_is_labelled_in_title_and_summary() -> None:
    view = make_view(drill=True)
    assert view.page_title == "INC-42: [DRILL] Checkout returns 502 (SEV2)"
    root = parse(render_storage(view))
    titles = [p.text for p in summary_rows(root)["Status"].iter(f"{AC}parameter")]
    assert "DRILL" in titles
    assert make_view().page_title == "INC-42: Checkout returns 502 (SEV2)"


def test_owner_mark_identifies_only_this_incident() -> None:
    view = make_view()
    body = render_storage(view)
    assert is_ours(body, view)
    assert not is_ours(body.replace("firefighter-incident-42-", "firefighter-incident-4-"), view)
    assert not is_ours("<p>INC-42: Checkout returns 502 (SEV2)</p>", view)


def test_merge_keeps_what_the_authors_wrote() -> None:
    old = render_storage(make_view())
    written = old.replace(
        "<h2>Root causes</h2>", "<h2>Root causes</h2><p>A config flag flipped by the deploy.</p>"
    )
    new = render_storage(make_view(updates=["Rolling back.", "Error rate back to normal."]))

    merged = merge_authors(new, written)

    assert "A config flag flipped by the deploy." in merged
    assert "Error rate back to normal." in merged
    parse(merged)


def test_merge_refuses_when_the_boundary_is_gone() -> None:
    new = render_storage(make_view())
    with pytest.raises(AuthorsSectionLost):
        merge_authors(new, "<p>Someone rewrote the whole page.</p>")


def test_custom_template_can_extend_ours(tmp_path: Path) -> None:
    template = tmp_path / "team.storage.xml.j2"
    template.write_text(
        '{% extends "firefighter/postmortem.storage.xml.j2" %}'
        "{% block authors %}<h2>Five whys</h2><p>{{ page.reference }} &amp; co</p>{% endblock %}",
        encoding="utf-8",
    )
    root = parse(render_storage(make_view(), template=template))
    headings = [text_of(h) for h in root.iter("h2")]
    assert "Five whys" in headings and "Root causes" not in headings
    assert "Timeline" in headings


def test_broken_custom_template_is_refused(tmp_path: Path) -> None:
    template = tmp_path / "broken.j2"
    template.write_text("<p>{{ page.title }}<b></p>", encoding="utf-8")
    with pytest.raises(InvalidStorage, match="not well-formed"):
        render_storage(make_view(), template=template)


def test_html_page_escapes_user_text() -> None:
    html = render_html(make_view(title=HOSTILE, drill=True), chart_src="data:image/png;base64,AAAA")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in html
    assert "DRILL" in html
    assert 'src="data:image/png;base64,AAAA"' in html


def test_chart_is_a_png() -> None:
    png = timeline_chart(make_view(closed=True))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert png == timeline_chart(make_view(closed=True))  # stable bytes: re-exports can skip it


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "—"),
        (45, "45 s"),
        (300, "5 min"),
        (329, "5 min"),
        (330, "6 min"),
        (59.4, "59 s"),
        (59.5, "1 min"),
        (4500, "1 h 15 min"),
        (93_600, "1 d 2 h"),
        (-120, "−2 min"),
    ],
)
def test_durations_read_naturally(seconds: float | None, text: str) -> None:
    assert format_duration(seconds) == text


def test_missing_custom_template_is_a_configuration_error(tmp_path: Path) -> None:
    settings = SimpleNamespace(postmortem_template=tmp_path / "nope.j2")
    with pytest.raises(ConfigError, match="FIREFIGHTER_POSTMORTEM_TEMPLATE"):
        template_path(settings)  # type: ignore[arg-type]
    (tmp_path / "nope.j2").write_text("<p/>", encoding="utf-8")
    assert template_path(settings) == tmp_path / "nope.j2"  # type: ignore[arg-type]


def test_followups_section_names_owners_in_both_formats() -> None:
    rows = [
        FollowUp(id=2, title="Alert <on> queue", owner=None, due=None, status="done"),
        FollowUp(id=1, title="Add retries", owner="U_BOB", due=date(2026, 3, 4), status="open"),
    ]
    view = replace(make_view(), followups=followup_lines(rows, {"U_BOB": "Bob Builder"}))
    storage = render_storage(view)
    parse(storage)  # still well-formed
    section = storage.split("<h2>Follow-ups</h2>")[1]
    assert section.index("Add retries") < section.index("Alert &lt;on&gt; queue")
    assert "<td>Bob Builder</td>" in section and "U_BOB" not in section
    assert "2026-03-04" in section
    html = render_html(view)
    assert "<td>Bob Builder</td>" in html.split("<h2>Follow-ups</h2>")[1]
