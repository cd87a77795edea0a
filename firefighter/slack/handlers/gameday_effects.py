"""Outbox handlers that play Game Days in Slack: board, themes, symptoms, hints, the end.

Each handler reads the state it needs, then calls Slack with no transaction open. Posts are
made once per outbox item (processed-requests keys), so a redelivery finishes the work
instead of repeating it. The scoreboard, whose ts is recorded after it is posted, goes
through `OncePoster`: a worker killed between the two leaves an intent, and the next delivery
adopts the board it finds in the channel instead of posting a second one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_sdk import WebClient

from firefighter.faults import BOARD_POSTED, NO_FAULTS, Faults
from firefighter.gameday.chart import chart_filename, scores_chart
from firefighter.gameday.engine import DrillContext, GameDays
from firefighter.gameday.outcomes import BoardPosted, ReportPublished
from firefighter.gameday.spec import from_stored
from firefighter.incidents import effects
from firefighter.incidents.delivery_views import IncidentSummary, incident_summary
from firefighter.incidents.errors import NotFound
from firefighter.outbox import (
    Dispatcher,
    Message,
    PermanentFailure,
    RetryLater,
    idempotency,
    progress,
)
from firefighter.slack.blocks.common import as_dicts
from firefighter.slack.blocks.gameday_blocks import (
    DRILL,
    announce_text,
    board_blocks,
    board_text,
    hint_text,
    report_text,
    reveal_text,
    symptom_text,
    theme_text,
)
from firefighter.slack.errors import slack_errors
from firefighter.slack.posting import OncePoster

log = logging.getLogger(__name__)


class GameDayEffects:
    """The Slack side of every Game Day effect."""

    def __init__(
        self,
        gamedays: GameDays,
        client: WebClient,
        *,
        publish_report: Callable[[int], tuple[str, str]],
        faults: Faults = NO_FAULTS,
    ) -> None:
        self.faults = faults
        self.gamedays = gamedays
        self.factory = gamedays.factory
        self.client = client
        # Publishing is the post-mortem adapter's job; the root hands us a function that does
        # it and answers (page id, url).
        self.publish_report = publish_report

    def register(self, dispatcher: Dispatcher) -> None:
        """Register a handler for each Game Day effect."""
        handlers: dict[str, Callable[[Message], object]] = {
            effects.GAMEDAY_BOARD: self.board,
            effects.GAMEDAY_THEME: self.theme,
            effects.GAMEDAY_SYMPTOM: self.symptom,
            effects.GAMEDAY_HINT: self.hint,
            effects.GAMEDAY_REVEAL: self.reveal,
            effects.GAMEDAY_CHART: self.chart,
            effects.GAMEDAY_REPORT: self.report,
            effects.GAMEDAY_ANNOUNCE: self.announce,
        }
        for kind, handler in handlers.items():
            dispatcher.register(kind, handler)

    # ---- helpers -------------------------------------------------------------------

    def _once(self, key: str, post: Callable[[], object]) -> None:
        if idempotency.seen(self.factory, key):
            return
        post()
        idempotency.remember(self.factory, key)

    def _drill(self, message: Message) -> tuple[IncidentSummary, DrillContext]:
        incident_id = int(message.payload["incident_id"])
        try:
            incident = incident_summary(self.factory, incident_id)
        except NotFound:
            raise PermanentFailure(f"drill {incident_id} no longer exists") from None
        found = self.gamedays.context(incident_id)
        if found is None:
            raise PermanentFailure(f"{incident.reference} is not a Game Day drill")
        if not incident.channel_id:
            raise RetryLater(f"{incident.reference} has no channel yet")
        return incident, found

    def _post(self, key: str, channel: str, text: str) -> None:
        def post() -> None:
            with slack_errors("chat.postMessage (game day)"):
                self.client.chat_postMessage(channel=channel, text=text, unfurl_links=False)

        self._once(key, post)

    # ---- handlers ------------------------------------------------------------------

    def board(self, message: Message) -> BoardPosted | None:
        """Post the scoreboard once, then redraw that same message in place."""
        gameday_id = int(message.payload["gameday_id"])
        board = self.gamedays.board(gameday_id)
        if not board.channel_id:
            raise PermanentFailure(f"Game Day #{gameday_id} has no channel")
        blocks = as_dicts(board_blocks(board))
        text = board_text(board)
        if board.board_ts:
            with slack_errors("chat.update (game day board)"):
                self.client.chat_update(
                    channel=board.channel_id, ts=board.board_ts, text=text, blocks=blocks
                )
            return None
        if not message.payload.get("create"):
            # Only the start posts the board: a redraw queued before that post waits for it.
            raise RetryLater(f"the board of Game Day #{gameday_id} is not posted yet")
        with slack_errors("chat.postMessage (game day board)"):
            ts = OncePoster(self.factory, self.client, self.faults).post(
                f"gameday-board:{gameday_id}", channel=board.channel_id, text=text, blocks=blocks
            )
        self.faults.reach(BOARD_POSTED, str(gameday_id))
        return BoardPosted(gameday_id, ts)

    def theme(self, message: Message) -> None:
        """Tell each member of a team its theme, in a direct message."""
        gameday = self.gamedays.get(int(message.payload["gameday_id"]))
        spec = from_stored(gameday.spec)
        name = str(message.payload["team"])
        team = spec.team(name)
        members = list(team.members)
        if team.usergroup:
            with slack_errors("usergroups.users.list"):
                listed = self.client.usergroups_users_list(usergroup=team.usergroup)
            members = [str(user) for user in listed.get("users") or []]
        text = theme_text(spec.name, name, team.theme or "")
        for user in members:

            def post(user: str = user) -> None:
                with slack_errors("conversations.open (theme)"):
                    opened = self.client.conversations_open(users=user)
                channel = str((opened.get("channel") or {}).get("id") or "")
                with slack_errors("chat.postMessage (theme)"):
                    self.client.chat_postMessage(channel=channel, text=text)

            self._once(f"gameday-theme:{message.id}:{user}", post)

    def symptom(self, message: Message) -> None:
        """Post what the team sees in the new drill's channel."""
        incident, found = self._drill(message)
        text = symptom_text(
            found.scenario.team, found.scenario.symptom, self.gamedays.settings.command
        )
        self._post(f"slack-posted:{message.id}", incident.channel_id or "", text)

    def hint(self, message: Message) -> None:
        """Release a hint in the drill's channel."""
        incident, found = self._drill(message)
        number = int(message.payload["hint"])
        text = hint_text(number + 1, found.scenario.hints[number].text)
        self._post(f"slack-posted:{message.id}", incident.channel_id or "", text)

    def reveal(self, message: Message) -> None:
        """Reveal the truth of the scenario in the drill's channel."""
        incident, found = self._drill(message)
        text = reveal_text(found.spec.name, found.scenario.truth)
        self._post(f"slack-posted:{message.id}", incident.channel_id or "", text)

    def chart(self, message: Message) -> None:
        """Upload the final chart of the scores to the Game Day channel."""
        board = self.gamedays.board(int(message.payload["gameday_id"]))
        if not board.channel_id:
            raise PermanentFailure(f"Game Day #{board.gameday_id} has no channel")
        png = scores_chart(board)
        ranking = ", ".join(f"{t.team} {t.points} points" for t in board.teams)

        def upload() -> None:
            with slack_errors("files.upload (game day chart)"):
                self.client.files_upload_v2(
                    channel=board.channel_id,
                    file=png,
                    filename=chart_filename(board),
                    title=f"{DRILL} Game Day {board.name}: final scores",
                    alt_txt=f"Bars of each team's points by scoring category: {ranking}.",
                )

        self._once(f"slack-posted:{message.id}", upload)

    def report(self, message: Message) -> list[object]:
        """Publish the report (Confluence or files) and link it in the Game Day channel."""
        gameday_id = int(message.payload["gameday_id"])
        board = self.gamedays.board(gameday_id)
        page_id, url = self.publish_report(gameday_id)
        with progress() as done:
            # Recorded even when the link fails to post: the report is out.
            done.append(ReportPublished(gameday_id, page_id, url))
            if board.channel_id:
                self._post(
                    f"gameday-report-link:{gameday_id}",
                    board.channel_id,
                    report_text(board, url),
                )
        return done

    def announce(self, message: Message) -> None:
        """A scheduled Game Day: tell its teams in the Game Day channel (or why it is skipped)."""
        payload = effects.GameDayAnnounce.parse(message.payload)
        channel = self.gamedays.settings.gameday_channel
        if not channel:
            raise PermanentFailure("no Game Day channel is set (FIREFIGHTER_GAMEDAY_CHANNEL)")
        gameday = self.gamedays.get(payload.gameday_id)
        spec = from_stored(gameday.spec)
        teams = {name: team.ids for name, team in spec.teams.items()}
        text = announce_text(spec.name, teams, payload.starts_at, payload.skipped)
        self._post(f"slack-posted:{message.id}", channel, text)
