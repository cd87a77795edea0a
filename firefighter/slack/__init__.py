"""Slack adapter: Bolt listeners, Block Kit rendering and outbox effects."""
