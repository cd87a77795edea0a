"""The final chart of a Game Day: each team's points, stacked by scoring category (PNG)."""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from firefighter.gameday.board import Board
from firefighter.gameday.scoring import CATEGORIES, CATEGORY_LABELS

PALETTE = ("#0052cc", "#36b37e", "#ffab00", "#6554c0", "#ff5630")


def chart_filename(board: Board) -> str:
    """`gameday-3-scores.png`."""
    return f"gameday-{board.gameday_id}-scores.png"


def scores_chart(board: Board, *, dpi: int = 100) -> bytes:
    """Horizontal bars, one per team (best on top), split into the scoring categories."""
    # A Figure on the Agg canvas without pyplot: no display and no global state, so the
    # worker may draw from any thread.
    teams = list(reversed(board.teams))
    figure = Figure(figsize=(8.0, 1.6 + 0.6 * len(teams)), dpi=dpi, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    positions = list(range(len(teams)))
    left = [0] * len(teams)
    for colour, category in zip(PALETTE, CATEGORIES, strict=True):
        values = [team.category(category) for team in teams]
        axes.barh(positions, values, left=left, color=colour, label=CATEGORY_LABELS[category])
        left = [a + b for a, b in zip(left, values, strict=True)]
    for position, team in zip(positions, teams, strict=True):
        axes.text(team.points + 1, position, f"{team.points} pts", va="center", fontsize=9)
    axes.set_yticks(positions, [team.team for team in teams])
    axes.set_xlabel("points")
    axes.set_xlim(0, max([*left, 10]) * 1.15)
    axes.set_title(f"Game Day: {board.name}, final scores")
    figure.legend(loc="outside lower center", fontsize=8, ncols=len(CATEGORIES))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
