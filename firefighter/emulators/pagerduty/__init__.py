"""A loopback PagerDuty: Events API v2, the REST API's on-calls, users and incidents, and a
v3 webhook signer."""

from firefighter.emulators.pagerduty.emulator import PagerDutyEmulator
from firefighter.emulators.pagerduty.model import PdIncident, PdUser

__all__ = ["PagerDutyEmulator", "PdIncident", "PdUser"]
