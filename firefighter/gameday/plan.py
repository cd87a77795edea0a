"""The steps of a Game Day, planned when it starts: the tick runs each once, when due."""

from __future__ import annotations

from datetime import datetime, timedelta

from firefighter.gameday.models import END, HINT, INJECT, THEME, GameDayStep
from firefighter.gameday.spec import GameDaySpec


def plan_steps(spec: GameDaySpec, start: datetime) -> list[GameDayStep]:
    """Every step a Game Day started at `start` takes: themes, injections, hints, its end."""
    steps: list[GameDayStep] = []
    if spec.mode == "informed":
        # Themes come before injections due at the same time: steps run in (due, id) order.
        for name in spec.teams:
            steps.append(GameDayStep(key=f"theme:{name}", kind=THEME, team=name, due_at=start))
    for index, scenario in enumerate(spec.scenarios):
        injected = start + timedelta(seconds=scenario.offset)
        steps.append(
            GameDayStep(
                key=f"inject:{index}",
                kind=INJECT,
                scenario=index,
                team=scenario.team,
                due_at=injected,
            )
        )
        for number, hint in enumerate(scenario.hints):
            steps.append(
                GameDayStep(
                    key=f"hint:{index}:{number}",
                    kind=HINT,
                    scenario=index,
                    team=scenario.team,
                    due_at=injected + timedelta(seconds=hint.after),
                )
            )
    if spec.duration is not None:
        steps.append(
            GameDayStep(key="end", kind=END, due_at=start + timedelta(seconds=spec.duration))
        )
    return steps
