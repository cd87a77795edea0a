"""Outbound webhooks: incident and follow-up events POSTed, signed, through the outbox."""
