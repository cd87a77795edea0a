"""Test doubles for FireFighter: a Slack Web API emulator and a signed request driver."""
