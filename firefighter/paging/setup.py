"""Paging as the settings configure it: the checked FIREFIGHTER_PAGING file and, when it
names services, the vendors' clients and the on-call directory, built before the core."""

from __future__ import annotations

from dataclasses import dataclass

from firefighter.paging.config import NO_PAGING, PagingConfig, load_paging
from firefighter.paging.oncall import OnCallDirectory
from firefighter.paging.vendors import Opsgenie, PagerDuty
from firefighter.settings import ConfigError, Settings
from firefighter.yaml_files import SpecError


@dataclass(frozen=True)
class Paging:
    """The FIREFIGHTER_PAGING file and, when it names services, the vendors' clients and the
    on-call directory."""

    config: PagingConfig = NO_PAGING
    pagerduty: PagerDuty | None = None
    opsgenie: Opsgenie | None = None
    oncall: OnCallDirectory | None = None

    @classmethod
    def configured(cls, settings: Settings) -> Paging:
        """Paging as the settings configure it; ConfigError for a broken file."""
        config = paging_config(settings)
        if not config.enabled:
            return cls(config)
        pagerduty = PagerDuty(
            settings.pagerduty_events_url,
            settings.pagerduty_api_url,
            settings.pagerduty_api_token,
        )
        opsgenie = Opsgenie(settings.opsgenie_api_url, settings.opsgenie_api_key)
        return cls(config, pagerduty, opsgenie, OnCallDirectory(config, pagerduty, opsgenie))


def paging_config(settings: Settings) -> PagingConfig:
    """The FIREFIGHTER_PAGING file, checked; ConfigError (one line, with its line number)."""
    try:
        return load_paging(
            settings.paging, severities=settings.severity_names, components=settings.components
        )
    except SpecError as error:
        raise ConfigError(error.first_line("FIREFIGHTER_PAGING")) from None
