"""Outbox handlers for incidents in Slack: channels, cards, announcements, posts, invites.

Each handler reads the incident's current state, does its Slack calls with no database
transaction open, and returns what it made (channel id, message ts) as outcomes that the
dispatcher records with the delivery, so that a redelivery finishes the work instead of
repeating it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from firefighter import faults
from firefighter.faults import NO_FAULTS, Faults
from firefighter.incidents import effects
from firefighter.incidents.audience import announcement_channel, first_invitees
from firefighter.incidents.delivery_views import detached_event, detached_incident
from firefighter.incidents.models import Incident
from firefighter.incidents.outcomes import (
    AnnouncementPosted,
    ChannelOpened,
    IncidentCardPosted,
    MembersAdded,
)
from firefighter.incidents.service import IncidentService
from firefighter.outbox import (
    Dispatcher,
    Message,
    PermanentFailure,
    RetryLater,
    idempotency,
    progress,
)
from firefighter.outbox.idempotency import Remembered
from firefighter.settings import Settings
from firefighter.slack import posting
from firefighter.slack.blocks.common import as_dicts
from firefighter.slack.blocks.incident_blocks import (
    announcement,
    drill_label,
    event_text,
    fallback_text,
    incident_card,
    postmortem_link,
    topic,
)
from firefighter.slack.channel_names import channel_name, with_suffix
from firefighter.slack.context import card_context
from firefighter.slack.errors import slack_errors

log = logging.getLogger(__name__)


class SlackEffects:
    """The Slack side of every outbox effect."""

    def __init__(
        self,
        settings: Settings,
        service: IncidentService,
        client: WebClient,
        *,
        drill_invitees: Callable[[int], list[str]],
        faults: Faults = NO_FAULTS,
    ) -> None:
        self.settings = settings
        self.service = service
        self.client = client
        self.idempotent = posting.in_place_client(client)
        # Who a drill invites is the Game Day's business; the root hands us its answer.
        self.drill_invitees = drill_invitees
        self._bot_user: str | None = None
        self.faults = faults

    def register(self, dispatcher: Dispatcher) -> None:
        """Register a handler for each Slack effect."""
        handlers: dict[str, Callable[[Message], object]] = {
            effects.OPEN_CHANNEL: self.open_channel,
            effects.REFRESH: self.refresh,
            effects.POST_EVENT: self.post_event,
            effects.INVITE: self.invite,
            effects.NOTIFY: self.notify,
            effects.WELCOME: self.welcome,
            effects.POSTMORTEM_PUBLISHED: self.postmortem_published,
        }
        for kind, handler in handlers.items():
            dispatcher.register(kind, handler)

    # ---- reading state -------------------------------------------------------------

    def _incident(self, incident_id: int) -> Incident:
        incident = detached_incident(self.service.factory, incident_id)
        if incident is None:
            raise PermanentFailure(f"incident {incident_id} no longer exists")
        return incident

    def _with_channel(self, message: Message) -> Incident:
        incident = self._incident(int(message.payload["incident_id"]))
        if not incident.channel_id:
            # The channel effect comes first for each incident; if it is not done yet, wait.
            raise RetryLater(f"{incident.reference} has no channel yet")
        return incident

    def bot_user(self) -> str | None:
        """The bot's own user id (never invited: Slack refuses that)."""
        if self._bot_user is None:
            with slack_errors("auth.test"):
                self._bot_user = str(self.client.auth_test().get("user_id") or "")
        return self._bot_user or None

    # ---- handlers ------------------------------------------------------------------

    def open_channel(self, message: Message) -> list[object]:
        """Create the channel, announce it, post and pin the card, invite people, set the topic.

        Each step's outcome is kept even when a later step fails, so a retry resumes at the
        step that failed. The announcement comes right after the channel: people watching the
        incidents channel learn of the fire first, and it waits for no invitation or pin.
        """
        incident = self._incident(int(message.payload["incident_id"]))
        with progress() as done:
            if not incident.channel_id:
                opened = self._create_channel(incident)
                done.append(opened)
                # Drawn from here on with its channel (recorded with the delivery, not yet).
                incident.channel_id = opened.channel_id
                incident.channel_name = opened.channel_name
            done += self._announce(incident)
            card_ts = incident.card_ts or self._post_card(incident, done)
            done += self._step(incident, "pinned", lambda: self._pin(incident, card_ts))
            done += self._step(
                incident, "invited", lambda: self._invite(incident, self._first_invitees(incident))
            )
            done += self._step(
                incident,
                "topic",
                lambda: self.idempotent.conversations_setTopic(
                    channel=incident.channel_id or "", topic=topic(incident)
                ),
            )
        return done

    def _step(self, incident: Incident, name: str, run: Callable[[], object]) -> list[object]:
        """Run a step once; its outcomes, and that it is done, are recorded together."""
        key = f"open-channel:{incident.id}:{name}"
        if idempotency.seen(self.service.factory, key):
            return []
        with slack_errors(f"open channel ({name})"):
            made = run()
        return [made, Remembered(key)] if isinstance(made, MembersAdded) else [Remembered(key)]

    def _post_card(self, incident: Incident, done: list[object]) -> str:
        context = card_context(self.service, self.settings, incident)
        poster = posting.OncePoster(self.service.factory, self.client, self.faults)
        with slack_errors("chat.postMessage (card)"):
            # Keyed by incident: a delivery that died after posting the card but before
            # recording it gets that card back instead of posting a second one.
            card_ts = poster.post(
                f"card:{incident.id}",
                channel=incident.channel_id or "",
                text=fallback_text(incident),
                blocks=as_dicts(incident_card(incident, context)),
            )
        self.faults.reach(faults.CARD_POSTED, str(incident.id))
        done.append(IncidentCardPosted(incident.id, card_ts))
        return card_ts

    def _pin(self, incident: Incident, card_ts: str) -> None:
        try:
            self.idempotent.pins_add(channel=incident.channel_id or "", timestamp=card_ts)
        except SlackApiError as error:
            if error.response.get("error") != "already_pinned":
                raise

    def _announce(self, incident: Incident) -> list[object]:
        channel = announcement_channel(incident, self.settings)
        if not channel or incident.announcement_ts:
            return []
        context = card_context(self.service, self.settings, incident)
        poster = posting.OncePoster(self.service.factory, self.client, self.faults)
        with slack_errors("chat.postMessage (announcement)"):
            announcement_ts = poster.post(
                f"announcement:{incident.id}",
                channel=channel,
                text=":fire: " + fallback_text(incident),
                blocks=as_dicts(announcement(incident, context)),
                unfurl_links=False,
            )
        self.faults.reach(faults.ANNOUNCEMENT_POSTED, str(incident.id))
        return [AnnouncementPosted(incident.id, channel, announcement_ts)]

    def _create_channel(self, incident: Incident) -> ChannelOpened:
        prefix = "drill" if incident.drill else "inc"
        base = channel_name(incident.id, incident.declared_at, incident.title, prefix=prefix)
        candidate = base
        for attempt in range(2, 30):
            with slack_errors("conversations.create"):
                try:
                    created = self.client.conversations_create(
                        name=candidate, is_private=incident.private
                    )
                    channel = dict(created["channel"])
                except SlackApiError as error:
                    if error.response.get("error") != "name_taken":
                        raise
                    # A delivery that died after creating the channel, before recording it,
                    # left it behind: take it back instead of opening `-2` next to it.
                    reclaimed = posting.reclaim_channel(
                        self.client, candidate, self.bot_user(), not_before=incident.declared_at
                    )
                    if reclaimed is None:
                        candidate = with_suffix(base, attempt)
                        continue
                    channel = reclaimed
            self.faults.reach(faults.CHANNEL_CREATED, str(incident.id))
            return ChannelOpened(incident.id, str(channel["id"]), str(channel["name"]))
        raise PermanentFailure(f"no free channel name near {base!r}")

    def _first_invitees(self, incident: Incident) -> list[str]:
        # The core says who; Slack user groups (S…) are invited as their members.
        wanted: list[str] = []
        for ident in first_invitees(incident, self.settings, self.drill_invitees):
            if ident.startswith("S"):
                with slack_errors("usergroups.users.list"):
                    members = self.client.usergroups_users_list(usergroup=ident)
                wanted += [str(member) for member in members.get("users") or []]
            else:
                wanted.append(ident)
        return list(dict.fromkeys(wanted))

    def _invite(self, incident: Incident, users: list[str]) -> MembersAdded:
        bot = self.bot_user()
        invited = []
        for user_id in users:
            if not user_id or user_id == bot:
                continue
            try:
                with slack_errors("conversations.invite"):
                    try:
                        self.idempotent.conversations_invite(
                            channel=incident.channel_id or "", users=user_id
                        )
                    except SlackApiError as error:
                        code = error.response.get("error")
                        if code not in ("already_in_channel", "cant_invite_self"):
                            raise
            except PermanentFailure as error:
                # One unknown or deactivated user must not keep the others out.
                log.warning("could not invite %s to %s: %s", user_id, incident.reference, error)
                continue
            invited.append(user_id)
        return MembersAdded(incident.id, tuple(invited))

    def invite(self, message: Message) -> MembersAdded:
        """Invite users (a new role holder) into the channel."""
        incident = self._with_channel(message)
        return self._invite(incident, [str(u) for u in message.payload.get("users", [])])

    def refresh(self, message: Message) -> None:
        """Redraw the card and the announcement in place; refresh the topic when it changed."""
        incident = self._incident(int(message.payload["incident_id"]))
        context = card_context(self.service, self.settings, incident)
        if incident.channel_id and incident.card_ts:
            with slack_errors("chat.update (card)"):
                self.idempotent.chat_update(
                    channel=incident.channel_id,
                    ts=incident.card_ts,
                    text=fallback_text(incident),
                    blocks=as_dicts(incident_card(incident, context)),
                )
        if incident.announcement_channel and incident.announcement_ts:
            with slack_errors("chat.update (announcement)"):
                self.idempotent.chat_update(
                    channel=incident.announcement_channel,
                    ts=incident.announcement_ts,
                    text=":fire: " + fallback_text(incident),
                    blocks=as_dicts(announcement(incident, context)),
                )
        if incident.channel_id and message.payload.get("what") in ("status", "severity", "role"):
            with slack_errors("conversations.setTopic"):
                self.idempotent.conversations_setTopic(
                    channel=incident.channel_id, topic=topic(incident)
                )

    def _once(self, message: Message, post: Callable[[], Any]) -> None:
        # For ephemeral posts only: Slack keeps no trace of them that a redelivery could find,
        # so the item is marked after posting. A worker that dies in between shows one person
        # the same ephemeral twice, the lesser harm next to never showing it. Channel posts
        # go through posting.OncePoster, which finds what a dead delivery posted.
        key = f"slack-posted:{message.id}"
        if idempotency.seen(self.service.factory, key):
            return
        post()
        idempotency.remember(self.service.factory, key)

    def post_event(self, message: Message) -> None:
        """Post a timeline event in the channel; updates also go to the announcement thread."""
        incident = self._with_channel(message)
        event = detached_event(self.service.factory, int(message.payload["event_id"]))
        if event is None:
            raise PermanentFailure("timeline event vanished")
        text = event_text(event, incident)
        poster = posting.OncePoster(self.service.factory, self.client, self.faults)
        # One key per post: when the thread post fails, the retry must not repeat the
        # channel post that went through.
        with slack_errors("chat.postMessage (event)"):
            poster.post_and_mark(
                f"event:{event.id}:channel", channel=incident.channel_id or "", text=text
            )
        if event.kind == "update" and incident.announcement_ts:
            with slack_errors("chat.postMessage (event in thread)"):
                poster.post_and_mark(
                    f"event:{event.id}:thread",
                    channel=incident.announcement_channel or "",
                    thread_ts=incident.announcement_ts,
                    text=text,
                )

    def welcome(self, message: Message) -> None:
        """Show the card, only to someone who just joined the channel."""
        incident = self._with_channel(message)
        user_id = str(message.payload["user"])
        if user_id == self.bot_user():
            return
        context = card_context(self.service, self.settings, incident)
        card = incident_card(incident, context)

        def post() -> None:
            with slack_errors("chat.postEphemeral (welcome)"):
                self.client.chat_postEphemeral(
                    channel=incident.channel_id or "",
                    user=user_id,
                    text=f"{drill_label(incident)}Welcome to {incident.reference}. "
                    "Here is where it stands.",
                    blocks=as_dicts(card),
                )

        self._once(message, post)

    def notify(self, message: Message) -> None:
        """Post a one-off notice in the incident channel."""
        incident = self._with_channel(message)
        # The core says what a notice is about; the siren is Slack's way of showing it.
        alarm = ":rotating_light: " if message.payload.get("tone") == "alerts" else ""
        text = drill_label(incident) + alarm + str(message.payload.get("text", ""))
        with slack_errors("chat.postMessage (notice)"):
            posting.OncePoster(self.service.factory, self.client, self.faults).post_and_mark(
                f"notice:{message.id}", channel=incident.channel_id or "", text=text
            )

    def postmortem_published(self, message: Message) -> None:
        """Link the post-mortem in the channel and bookmark it."""
        incident = self._with_channel(message)
        url = str(message.payload["url"])
        first = bool(message.payload.get("first", True))
        channel = incident.channel_id or ""
        with slack_errors("chat.postMessage (post-mortem)"):
            posting.OncePoster(self.service.factory, self.client, self.faults).post_and_mark(
                f"postmortem:{message.id}",
                channel=channel,
                text=drill_label(incident) + postmortem_link(url, first),
            )
        if first and url.startswith("http"):
            with slack_errors("bookmarks.list / bookmarks.add"):
                # Bookmarks carry no metadata; the link itself says whether a delivery
                # that died after adding it already did.
                listed = self.idempotent.bookmarks_list(channel_id=channel)
                if not any(b.get("link") == url for b in listed.get("bookmarks") or []):
                    self.client.bookmarks_add(
                        channel_id=channel, title="Post-mortem", type="link", link=url
                    )
