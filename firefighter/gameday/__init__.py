"""Game Days: drills injected by facilitators from a scenario file, scored on a live board.

Nothing here knows Slack: `spec` reads the file, `plan` lays out its steps, `engine` starts,
ticks and ends a Game Day, `board` and `scoring` make the scoreboard, `replay` turns a real
incident into a scenario, `outcomes` records what the adapters report; the Slack side lives in
`slack/handlers/gameday_effects.py` and `slack/blocks/gameday_blocks.py`.
"""
