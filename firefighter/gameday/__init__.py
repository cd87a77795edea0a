"""Game Days: drills injected by facilitators from a scenario file, scored on a live board.

The domain modules (`spec`, `scoring`, `engine`, `ticker`, `report`, `chart`) know nothing of
Slack; `slack_blocks`, `slack_effects` and `slack_commands` are the Slack adapter.
"""
