"""Outbox handlers that act on Slack, one module per feature."""
