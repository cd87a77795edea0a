"""The core: incidents, their lifecycle, timeline and outbox. Knows nothing of Slack."""
