"""Block Kit builders: pure functions from the bot's state to Slack's blocks and views."""
