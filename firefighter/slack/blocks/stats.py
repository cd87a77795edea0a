"""The digest and `/incident stats` as Block Kit, built by pure functions: metrics in, blocks out.

Every text that comes from people or configuration is escaped and cut; private incidents
appear by reference only, never by title or channel.
"""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    PlainTextObject,
    SectionBlock,
)

from firefighter.slack.blocks.common import HEADER_MAX, MAX_BLOCKS, md
from firefighter.slack.mrkdwn import escape
from firefighter.stats.metrics import (
    AGE_BUCKETS,
    ALL,
    METRICS,
    IncidentRef,
    Metrics,
    change,
)
from firefighter.text import duration, plural, truncate

TITLE_SHOWN = 80
UNCLASSIFIED = "unclassified"
AGE_LABELS = {"<1d": "< 1 day", "1-7d": "1–7 days", ">7d": "> 7 days"}
METRIC_SHORT = {
    "detect": "detect",
    "acknowledge": "acknowledge",
    "mitigate": "mitigate",
    "close": "close",
}


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=md(text))


def period_label(metrics: Metrics, zone: ZoneInfo) -> str:
    """`2 Mar – 9 Mar 2026`, in the configured time zone."""
    start = metrics.current.start.astimezone(zone)
    end = metrics.current.end.astimezone(zone)
    return f"{start.day} {start:%b} – {end.day} {end:%b %Y}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def incident_line(ref: IncidentRef, figure: str) -> str:
    """One incident as a list line: channel link and title, or reference only if private."""
    if ref.private:
        return f":lock: {ref.reference} · {ref.severity} · {ref.status} · {figure} · private"
    where = f"<#{ref.channel_id}>" if ref.channel_id else ref.reference
    title = escape(truncate(ref.title or "", TITLE_SHOWN))
    return f"{where} · {ref.severity} · {ref.status} · {figure} — {title}"


def _by_severity(counts: dict[str, int], order: Sequence[str]) -> str:
    names = [s for s in order if counts.get(s)] + sorted(set(counts) - set(order))
    return " · ".join(f"{escape(s)} {counts[s]}" for s in names) or "none"


def summary_text(metrics: Metrics) -> str:
    """The headline figures with their change against the previous period."""
    cur, prev = metrics.current, metrics.previous
    days = metrics.days
    ttm, ttm_before = cur.duration("mitigate"), prev.duration("mitigate")
    lines = [
        f"*{cur.declared_total}* declared ({change(cur.declared_total, prev.declared_total)} "
        f"vs the previous {days} days) · *{cur.closed_total}* closed "
        f"({change(cur.closed_total, prev.closed_total)}) · *{metrics.open_total}* not closed now",
        f"Declared by severity: {_by_severity(cur.declared, metrics.severities)}",
        f"Closed by severity: {_by_severity(cur.closed, metrics.severities)}",
    ]
    if ttm.count:
        lines.append(
            f"Time to mitigate: p50 *{duration(ttm.p50)}* ({change(ttm.p50, ttm_before.p50)}) · "
            f"p90 *{duration(ttm.p90)}* ({change(ttm.p90, ttm_before.p90)})"
        )
    return "\n".join(lines)


def durations_table(metrics: Metrics) -> str:
    """Mean, p50 and p90 of each time-to metric, per severity and overall, monospaced."""
    rows = [f"{'time to':<12}{'sev':<7}{'n':>4}  {'mean':<9}{'p50':<9}{'p90'}"]
    for metric in METRICS:
        per = metrics.current.durations.get(metric, {})
        keys = [s for s in metrics.severities if s in per] + ([ALL] if ALL in per else [])
        for i, key in enumerate(keys):
            stats = per[key]
            label = METRIC_SHORT[metric] if i == 0 else ""
            name = "all" if key == ALL else key
            rows.append(
                f"{label:<12}{name[:6]:<7}{stats.count:>4}  {duration(stats.mean):<9}"
                f"{duration(stats.p50):<9}{duration(stats.p90):<9}".rstrip()
            )
    if len(rows) == 1:
        return "_No milestones reached in this period._"
    return "```" + escape("\n".join(rows)) + "```"


def open_text(metrics: Metrics) -> str:
    """Incidents not closed now, by status and by age."""
    if not metrics.open_total:
        return "*Not closed now*: none."
    statuses = " · ".join(f"{s} {n}" for s, n in metrics.open_by_status.items())
    ages = " · ".join(
        f"{AGE_LABELS[b]} {metrics.open_by_age[b]}" for b in AGE_BUCKETS if metrics.open_by_age[b]
    )
    return f"*Not closed now*: {metrics.open_total} ({statuses}) — by age: {ages}"


def overdue_text(metrics: Metrics) -> str:
    """Post-mortems overdue, with the oldest few."""
    if not metrics.overdue_postmortems:
        return "*Post-mortems overdue*: none. :tada:"
    lines = [f"*Post-mortems overdue*: {metrics.overdue_postmortems}"]
    for ref in metrics.overdue:
        days = int((ref.seconds or 0) // 86400)
        lines.append("• " + incident_line(ref, f"{_plural(days, 'day')} since mitigation"))
    more = metrics.overdue_postmortems - len(metrics.overdue)
    if more > 0:
        lines.append(f"…and {more} more.")
    return "\n".join(lines)


def components_text(metrics: Metrics) -> str:
    """Top components by number of incidents and by total time to mitigate."""
    by_count = " · ".join(f"{escape(c)} {n}" for c, n in metrics.components_by_count)
    # Once chaos results exist, each component shows its score beside its time to mitigate,
    # so one that broke in real incidents but was never drilled stands out.
    drilled = bool(metrics.resilience)
    by_time = " · ".join(
        f"{escape(c)} {duration(s)}" + (f" ({_drilled(metrics, c)})" if drilled else "")
        for c, s in metrics.components_by_mitigation
    )
    text = (
        f"*Top components* by incidents: {by_count or 'none'}\n"
        f"by total time to mitigate{' (resilience score)' if drilled else ''}: "
        f"{by_time or 'none'}"
    )
    broke = {c for c, _ in metrics.components_by_mitigation}
    others = [f"{escape(c)} {_drilled(metrics, c)}" for c in metrics.resilience if c not in broke]
    if others:
        text += "\n*Resilience* of the other components drilled: " + " · ".join(others)
    return text


def _drilled(metrics: Metrics, component: str) -> str:
    """`score 82.5`, or `:warning: never drilled` for a component no experiment tested."""
    found = metrics.resilience.get(component)
    if found is None:
        return ":warning: never drilled"
    if found.score is None:
        return "drilled, weight 0"
    return f"score {found.score:g}"


def failure_classes_text(metrics: Metrics) -> str:
    """Where the failures of the incidents closed in the period came from."""
    parts = " · ".join(f"{escape(c or UNCLASSIFIED)} {n}" for c, n in metrics.failure_classes)
    return f"*Failure classes* of the incidents closed: {parts or 'none closed'}"


def worst_text(metrics: Metrics) -> str:
    """The most severe, longest incidents, with links to their channels."""
    if not metrics.worst:
        return "*Worst incidents*: none."
    lines = ["*Worst incidents*"]
    for ref in metrics.worst:
        verb = "lasted" if ref.status not in ("open", "investigating", "mitigating") else "open for"
        lines.append("• " + incident_line(ref, f"{verb} {duration(ref.seconds)}"))
    return "\n".join(lines)


def footer_text(metrics: Metrics, zone: ZoneInfo) -> str:
    """Drills, privacy and time zone notes."""
    drills = metrics.current.drills
    notes = []
    if drills:
        notes.append(f":performing_arts: {_plural(drills, 'drill')} (not counted above)")
    notes.append("private incidents are counted, their titles never shown")
    notes.append(f"times in {zone.key}")
    return " · ".join(notes)


def followups_text(metrics: Metrics) -> str:
    """Follow-ups opened, done and overdue, the median time to close, the overdue by component."""
    figures = metrics.followups
    lines = [
        f"*Follow-ups* · {figures.opened} opened, {figures.done} done, "
        f"{figures.overdue} overdue · median time to close "
        f"{duration(figures.time_to_close.p50)}"
    ]
    for component, count, listed in figures.overdue_by_component[:5]:
        items = []
        for item in listed[:3]:
            where = (
                f"<#{item.channel_id}|INC-{item.incident_id}>"
                if item.channel_id
                else (f"INC-{item.incident_id}")
            )
            what = escape(truncate(item.title, TITLE_SHOWN)) if item.title else "(private)"
            items.append(f"{where} {what} (due {item.due.isoformat()})")
        lines.append(f"Overdue in {escape(component)} ({count}): " + "; ".join(items))
    return "\n".join(lines)


def report_blocks(metrics: Metrics, *, title: str, zone: ZoneInfo) -> list[Block]:
    """The full report: headline, durations, open incidents, post-mortems, components, worst."""
    if metrics.quiet:
        return quiet_blocks(metrics, title=title, zone=zone)
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=truncate(title, HEADER_MAX), emoji=True)),
        _section(summary_text(metrics)),
        _section(durations_table(metrics)),
        DividerBlock(),
        _section(open_text(metrics)),
        _section(overdue_text(metrics)),
        _section(worst_text(metrics)),
        DividerBlock(),
        _section(components_text(metrics)),
        _section(failure_classes_text(metrics)),
        _section(followups_text(metrics)),
        ContextBlock(elements=[md(footer_text(metrics, zone))]),
    ]
    return blocks[:MAX_BLOCKS]


def quiet_blocks(metrics: Metrics, *, title: str, zone: ZoneInfo) -> list[Block]:
    """The short report of a period with no incident declared."""
    lines = [
        f":sunny: *Quiet {'week' if metrics.days == 7 else 'period'}*: no incident declared "
        f"from {period_label(metrics, zone)}."
    ]
    if metrics.open_total:
        lines.append(f"{_plural(metrics.open_total, 'incident')} still not closed.")
    if metrics.overdue_postmortems:
        lines.append(f"{_plural(metrics.overdue_postmortems, 'post-mortem')} overdue.")
    if metrics.followups.overdue:
        # A quiet week is when managers chase what is left of the last fires.
        lines.append(followups_text(metrics))
    return [
        HeaderBlock(text=PlainTextObject(text=truncate(title, HEADER_MAX), emoji=True)),
        _section("\n".join(lines)),
        ContextBlock(elements=[md(footer_text(metrics, zone))]),
    ]


def digest_title(metrics: Metrics, zone: ZoneInfo) -> str:
    """`Incident digest · 2 Mar – 9 Mar 2026`."""
    return f"Incident digest · {period_label(metrics, zone)}"


def digest_blocks(metrics: Metrics, zone: ZoneInfo) -> list[Block]:
    """The managers' digest."""
    return report_blocks(metrics, title=digest_title(metrics, zone), zone=zone)


def stats_blocks(metrics: Metrics, zone: ZoneInfo) -> list[Block]:
    """The answer to `/incident stats`."""
    title = f"Incidents, last {metrics.days} days · {period_label(metrics, zone)}"
    return report_blocks(metrics, title=title, zone=zone)


def fallback_text(metrics: Metrics, zone: ZoneInfo, *, prefix: str = "Incident digest") -> str:
    """The notification text that goes with the blocks."""
    cur = metrics.current
    if metrics.quiet:
        return f"{prefix} · {period_label(metrics, zone)}: quiet, no incident declared."
    return (
        f"{prefix} · {period_label(metrics, zone)}: {cur.declared_total} declared, "
        f"{cur.closed_total} closed, {metrics.open_total} not closed now, "
        f"{plural(metrics.overdue_postmortems, 'post-mortem')} overdue."
    )
