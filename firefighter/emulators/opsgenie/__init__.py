"""A loopback Opsgenie: the Alert API, schedules' on-call timeline, users, and the webhook."""

from firefighter.emulators.opsgenie.emulator import OgAlert, OpsgenieEmulator

__all__ = ["OgAlert", "OpsgenieEmulator"]
