"""Loopback Slack and Confluence emulators; the demo and `gameday run --fast` run on them."""
