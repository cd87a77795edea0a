"""The outbox handler that posts the managers' digest and uploads its chart.

Figures are read by the core (`stats`) in short sessions closed before any Slack call. A
redelivered item finishes what is missing (message, then chart) rather than posting twice; the
message goes through `OncePoster`, so a worker killed between posting it and recording it
leaves an intent behind, and the next delivery finds the message in the channel instead of
posting a second digest.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from firefighter.faults import NO_FAULTS, Faults
from firefighter.outbox import Message, PermanentFailure, idempotency
from firefighter.settings import Settings
from firefighter.slack.blocks.stats import digest_blocks, fallback_text
from firefighter.slack.errors import slack_errors
from firefighter.slack.posting import OncePoster
from firefighter.stats import measure, measure_weeks
from firefighter.stats.chart import chart_filename, weekly_chart

log = logging.getLogger(__name__)

CHART_WEEKS = 12


class DigestPoster:
    """Handles `effects.DIGEST_POST`: blocks in the digest channel, then the chart."""

    def __init__(
        self,
        settings: Settings,
        factory: sessionmaker[Session],
        clock: Callable[[], datetime],
        client: WebClient,
        faults: Faults = NO_FAULTS,
    ) -> None:
        self.settings = settings
        self.factory = factory
        self.clock = clock
        self.client = client
        self.faults = faults

    def __call__(self, message: Message) -> None:
        """Post the digest described by the message's payload."""
        settings = self.settings
        channel = settings.announce_digest_channel
        if not channel:
            raise PermanentFailure(
                "no digest channel: set FIREFIGHTER_DIGEST_CHANNEL or FIREFIGHTER_INCIDENTS_CHANNEL"
            )
        days = int(message.payload.get("days") or 7)
        end_text = message.payload.get("end")
        end = datetime.fromisoformat(str(end_text)) if end_text else self.clock()
        zone = settings.zone
        metrics = measure(self.factory, settings, now=self.clock(), days=days, end=end)

        with slack_errors("chat.postMessage (digest)"):
            OncePoster(self.factory, self.client, self.faults).post_and_mark(
                f"digest:{message.id}",
                channel=channel,
                text=fallback_text(metrics, zone),
                blocks=[b.to_dict() for b in digest_blocks(metrics, zone)],
                unfurl_links=False,
            )

        # A quiet week gets the short message only; there is nothing new to plot.
        chart_key = f"digest:{message.id}:chart"
        if metrics.quiet or idempotency.seen(self.factory, chart_key):
            return
        series = measure_weeks(self.factory, settings, end=end, weeks=CHART_WEEKS)
        png = weekly_chart(series, zone)
        with slack_errors("files.upload (digest chart)"):
            self.client.files_upload_v2(
                channel=channel,
                file=png,
                filename=chart_filename(end, zone),
                title=f"Incidents per week, last {CHART_WEEKS} weeks",
                alt_txt=(
                    f"Stacked bars of incidents declared per week by severity over the last "
                    f"{CHART_WEEKS} weeks ({series.total} in all), and the weekly median time "
                    "to mitigate."
                ),
            )
        idempotency.remember(self.factory, chart_key)
