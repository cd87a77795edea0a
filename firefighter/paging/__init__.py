"""Paging adapter: PagerDuty and Opsgenie (pages, their webhooks, who is on call)."""
