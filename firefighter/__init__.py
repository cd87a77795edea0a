"""FireFighter: a Slack bot that runs incident response end to end."""

__version__ = "0.1.0"
