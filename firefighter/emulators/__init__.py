"""Emulators of the services the bot talks to (Slack Web API, Confluence) and a signed
request driver: a product part that users test their configuration with, and the demo and
`gameday run --fast` run on. Nothing here imports the bot."""
