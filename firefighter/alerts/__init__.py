"""Inbound alert webhooks: Alertmanager, Grafana, Datadog, PagerDuty and a generic JSON.

Each source has a pydantic model of its documented payload; `endpoint` verifies, parses,
routes (by the rules file in `rules`) and hands the result to the core in one transaction.
"""
