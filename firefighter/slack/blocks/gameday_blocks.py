"""Block Kit and texts of Game Days, built by pure functions: board in, blocks out."""

from __future__ import annotations

from datetime import datetime

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    PlainTextObject,
    SectionBlock,
)

from firefighter.gameday.board import Board, DrillResult
from firefighter.gameday.scoring import CATEGORIES, CATEGORY_LABELS
from firefighter.slack.blocks.common import SECTION_MAX, md
from firefighter.slack.mrkdwn import escape, link, slack_date
from firefighter.text import truncate

DRILL = "[DRILL]"
MEDALS = (":first_place_medal:", ":second_place_medal:", ":third_place_medal:")


def _drill_line(drill: DrillResult) -> str:
    where = f"<#{drill.channel_id}>" if drill.channel_id else drill.reference
    parts = " · ".join(f"{CATEGORY_LABELS[c].lower()} {drill.score.points[c]}" for c in CATEGORIES)
    if drill.score.penalty:
        parts += f" · hints −{drill.score.penalty}"
    return (
        f"• {where} {escape(drill.title)} ({drill.severity}, {drill.status}): "
        f"*{drill.score.total} pts* — {parts}"
    )


def board_blocks(board: Board) -> list[Block]:
    """The scoreboard: teams ranked with each drill's points, then the rules."""
    ended = board.status == "ended"
    heading = "final scores" if ended else "live scoreboard"
    injected = len(board.drills)
    facts = [
        f"{DRILL} Game Day, {board.mode} mode",
        f"{injected} of {board.scenarios_total} drills injected",
    ]
    if board.started_at is not None:
        facts.append(f"started {slack_date(board.started_at)}")
    facts.append(("ended " if ended else "as of ") + slack_date(board.as_of))
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=truncate(f"🏆 {board.name}: {heading}", 150))),
        ContextBlock(elements=[md(" · ".join(facts))]),
    ]
    for rank, team in enumerate(board.teams):
        medal = MEDALS[rank] if rank < len(MEDALS) and team.points else ":small_blue_diamond:"
        average = f" ({team.per_drill:g} per drill)" if len(team.drills) > 1 else ""
        lines = [f"{medal} *{escape(team.team)}* — *{team.points} pts*{average}"]
        lines += [_drill_line(drill) for drill in team.drills] or ["_no drill yet_"]
        blocks.append(SectionBlock(text=md("\n".join(lines))))
    if board.chaos:
        icons = {"pass": ":white_check_mark:", "fail": ":x:", "stopped": ":double_vertical_bar:"}
        lines = [
            f"{icons.get(r.verdict, '•')} {escape(r.experiment)} on *{escape(r.component)}*: "
            f"{r.verdict}, probe success {r.probe_success:g}%"
            for r in board.chaos[-10:]
        ]
        blocks.append(
            SectionBlock(text=md(truncate("*Chaos experiments*\n" + "\n".join(lines), 3000)))
        )
    blocks.append(DividerBlock())
    rules = "\n".join(f"• {rule}" for rule in board.rules)
    blocks.append(ContextBlock(elements=[md(f"*How points are counted, per drill*\n{rules}")]))
    return blocks[:50]


def board_text(board: Board) -> str:
    """The notification text of the board."""
    ranking = ", ".join(f"{t.team} {t.points}" for t in board.teams)
    state = "final scores" if board.status == "ended" else "scoreboard"
    return truncate(f"{DRILL} Game Day {board.name} {state}: {ranking}", SECTION_MAX)


def theme_text(name: str, team: str, theme: str) -> str:
    """Informed mode: what a team is told before the drills start."""
    return truncate(
        f":performing_arts: {DRILL} Game Day *{escape(name)}* is about to start. Your team "
        f"*{escape(team)}* will face incidents around this theme: *{escape(theme)}*. You will "
        "be invited to `drill-…` channels: take the commander role, post updates, mitigate, "
        "and write the post-mortem.",
        SECTION_MAX,
    )


def symptom_text(team: str, symptom: str, command: str) -> str:
    """What the team sees when its drill is injected (`command`: the slash command)."""
    return truncate(
        f":rotating_light: {DRILL} *What you see:* {escape(symptom)}\n"
        f"Team *{escape(team)}*, this drill is yours: take the commander role "
        f"(`{command} role commander @you`), post updates, mitigate it, then write its "
        "post-mortem. It is scored on the Game Day board.",
        SECTION_MAX,
    )


def hint_text(number: int, hint: str) -> str:
    """A hint released in the drill's channel."""
    return truncate(f":bulb: {DRILL} Hint {number}: {escape(hint)}", SECTION_MAX)


def reveal_text(name: str, truth: str) -> str:
    """At the end: what really happened in this drill."""
    return truncate(
        f":performing_arts: {DRILL} Game Day *{escape(name)}* is over. What really happened: "
        f"{escape(truth)}",
        SECTION_MAX,
    )


def report_text(board: Board, url: str) -> str:
    """The link to the report, posted in the Game Day channel."""
    if board.teams and board.teams[0].points:
        best = board.teams[0].points
        leaders = " and ".join(f"*{escape(t.team)}*" for t in board.teams if t.points == best)
        winner = f"Winner: {leaders} with {best} pts."
    else:
        winner = "Nobody scored."
    return truncate(
        f":checkered_flag: {DRILL} Game Day *{escape(board.name)}* is over. {winner} "
        f"The report, with each scenario's timeline and truth, is ready: {link(url, 'open it')}. "
        "Add your lessons learned to it.",
        SECTION_MAX,
    )


def announce_text(
    name: str, teams: dict[str, list[str]], starts_at: str, skipped: str | None
) -> str:
    """A scheduled Game Day: it starts soon (its teams mentioned), or it was skipped and why."""
    when = slack_date(datetime.fromisoformat(starts_at))
    players = "; ".join(
        f"*{escape(team)}*: "
        + ", ".join(f"<!subteam^{i}>" if i.startswith("S") else f"<@{i}>" for i in ids)
        for team, ids in teams.items()
    )
    if skipped:
        return truncate(
            f":no_entry: {DRILL} Scheduled Game Day *{escape(name)}* ({when}) is skipped: "
            f"{escape(skipped)}. It will try again at its next scheduled time.",
            SECTION_MAX,
        )
    return truncate(
        f":alarm_clock: {DRILL} Scheduled Game Day *{escape(name)}* starts {when}. "
        f"Teams — {players}. Drills will open `drill-…` channels; nothing real is affected.",
        SECTION_MAX,
    )
