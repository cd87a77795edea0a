"""The side effects the core and the features enqueue, typed: payload, target system, priority.

Each is a frozen dataclass of its payload, declared with its kind (the name on the outbox row),
the outside system it talks to and its priority class (see `firefighter.outbox.effect_types`).
Adapters register handlers for the kinds; the core imports no adapter, so the declarations the
core enqueues live here, and each names the adapter that handles it. The names in capitals
are the kinds, for `dispatcher.register` and for call sites that enqueue by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from firefighter.outbox.effect_types import (
    BACKGROUND,
    CONFLUENCE,
    JIRA,
    PEOPLE,
    RECORDS,
    SLACK,
    Effect,
)

# ---- people-facing incident effects (slack/handlers/incident_effects.py) ------------------


@dataclass(frozen=True)
class OpenChannel(Effect, kind="incident.open_channel", target=SLACK, priority=PEOPLE):
    """Create the incident channel, invite people, post and pin the card, announce."""

    incident_id: int


@dataclass(frozen=True)
class Refresh(Effect, kind="incident.refresh", target=SLACK, priority=PEOPLE):
    """Redraw the card, the announcement and the channel topic from the current state."""

    incident_id: int
    what: str = ""


@dataclass(frozen=True)
class PostEvent(Effect, kind="incident.post_event", target=SLACK, priority=PEOPLE):
    """Post one timeline event in the channel (and updates in the announcement's thread)."""

    incident_id: int
    event_id: int


@dataclass(frozen=True)
class Invite(Effect, kind="incident.invite", target=SLACK, priority=PEOPLE):
    """Invite users into the incident channel."""

    incident_id: int
    users: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Welcome(Effect, kind="incident.welcome", target=SLACK, priority=PEOPLE, ordered=False):
    """Show someone who just joined the channel where the incident stands (only to them)."""

    incident_id: int
    user: str


@dataclass(frozen=True)
class Notify(Effect, kind="incident.notify", target=SLACK, priority=PEOPLE, ordered=False):
    """Post a one-off notice in the incident channel, deduplicated by `key`.

    Unordered (and enqueued without an incident_id on the row, as before): a notice about a
    stuck effect is never stuck behind anything in the incident's delivery order.
    """

    incident_id: int
    text: str
    key: str
    # What the notice is about, for a surface to mark it ("alerts": Slack shows a siren).
    tone: str = ""


@dataclass(frozen=True)
class AlertsResolved(Effect, kind="incident.alerts_resolved", target=SLACK, priority=PEOPLE):
    """Tell the incident channel, once, that all linked alerts resolved (a mitigated button)."""

    incident_id: int


@dataclass(frozen=True)
class PostmortemPublished(Effect, kind="postmortem.published", target=SLACK, priority=PEOPLE):
    """Link the published post-mortem back: message in the channel, bookmark."""

    incident_id: int
    url: str
    first: bool = False


@dataclass(frozen=True)
class MessagePinned(
    Effect, kind="incident.message_pinned", target=SLACK, priority=PEOPLE, ordered=False
):
    """Show on a Slack message that it is in the timeline now (see conversation_effects)."""

    incident_id: int
    channel: str
    ts: str


@dataclass(frozen=True)
class DeclaredFromMessage(
    Effect, kind="incident.declared_from_message", target=SLACK, priority=PEOPLE, ordered=False
):
    """Reply in the thread of the message an incident was declared from."""

    incident_id: int
    channel: str
    ts: str


# ---- the incident's records elsewhere (postmortem/handler.py, jira/issues.py) -------------


@dataclass(frozen=True)
class ExportPostmortem(Effect, kind="postmortem.export", target=CONFLUENCE, priority=RECORDS):
    """Render the post-mortem and publish it (Confluence, or files)."""

    incident_id: int
    requested_by: str | None = None
    reason: str = ""


@dataclass(frozen=True)
class FollowUpJiraCreate(Effect, kind="followup.jira_create", target=JIRA, priority=RECORDS):
    """Create the follow-up's Jira issue exactly once."""

    incident_id: int
    followup_id: int


@dataclass(frozen=True)
class FollowUpJiraDone(Effect, kind="followup.jira_done", target=JIRA, priority=RECORDS):
    """Transition the follow-up's Jira issue to done, if its workflow allows."""

    incident_id: int
    followup_id: int


@dataclass(frozen=True)
class FollowUpJiraPoll(
    Effect, kind="followup.jira_poll", target=JIRA, priority=BACKGROUND, ordered=False
):
    """Read the open follow-ups' Jira issues back in one search (when no webhook is set)."""

    due: str = ""


# ---- background (slack/handlers/digest.py, reminders.py, alerts.py, gameday.py) -----------


@dataclass(frozen=True)
class DigestPost(Effect, kind="digest.post", target=SLACK, priority=BACKGROUND):
    """Post the managers' digest and its chart."""

    days: int
    end: str
    reason: str = ""


@dataclass(frozen=True)
class _Reminder:
    """What every reminder carries; each kind adds its own keys (see incidents/reminders.py)."""

    incident_id: int | None = None
    reminder_id: int | None = None
    decided_at: str = ""


@dataclass(frozen=True)
class RemindUpdate(_Reminder, Effect, kind="reminder.update", target=SLACK, priority=BACKGROUND):
    """Nudge the commander in the channel: no update for the severity's interval."""


@dataclass(frozen=True)
class RemindRoles(_Reminder, Effect, kind="reminder.roles", target=SLACK, priority=BACKGROUND):
    """Nudge the channel: communications lead or scribe still empty on a major incident."""


@dataclass(frozen=True)
class RemindPostmortem(
    _Reminder, Effect, kind="reminder.postmortem", target=SLACK, priority=BACKGROUND
):
    """Direct message to the commander: the post-mortem is overdue."""


@dataclass(frozen=True)
class AskFailureClass(
    _Reminder, Effect, kind="reminder.failure_class", target=SLACK, priority=BACKGROUND
):
    """Ask the channel which class of failure the incident was, with a menu."""


@dataclass(frozen=True)
class RemindFollowUp(
    _Reminder, Effect, kind="reminder.followup", target=SLACK, priority=BACKGROUND
):
    """Direct message about a follow-up due or overdue."""


@dataclass(frozen=True)
class AlertCard(Effect, kind="alert.card", target=SLACK, priority=BACKGROUND):
    """Post an alert group's triage card, or redraw it in place.

    Not tied to an incident row: redraws are coalesced on the group (see AlertGroup.pending).
    """

    group_id: int


@dataclass(frozen=True)
class GameDayBoard(Effect, kind="gameday.board", target=SLACK, priority=BACKGROUND):
    """Post the Game Day scoreboard, or redraw it in place."""

    gameday_id: int
    create: bool = False


@dataclass(frozen=True)
class GameDayTheme(Effect, kind="gameday.theme", target=SLACK, priority=BACKGROUND):
    """Informed mode: tell a team its theme before the drills."""

    gameday_id: int
    team: str


@dataclass(frozen=True)
class GameDaySymptom(Effect, kind="gameday.symptom", target=SLACK, priority=BACKGROUND):
    """Post the symptom the team sees in a drill's channel."""

    gameday_id: int
    incident_id: int
    scenario: int


@dataclass(frozen=True)
class GameDayHint(Effect, kind="gameday.hint", target=SLACK, priority=BACKGROUND):
    """Release a hint in a drill's channel."""

    gameday_id: int
    incident_id: int
    scenario: int
    hint: int


@dataclass(frozen=True)
class GameDayReveal(Effect, kind="gameday.reveal", target=SLACK, priority=BACKGROUND):
    """At the end: reveal what really happened in a drill's channel."""

    gameday_id: int
    incident_id: int
    scenario: int


@dataclass(frozen=True)
class GameDayChart(Effect, kind="gameday.chart", target=SLACK, priority=BACKGROUND):
    """At the end: upload the final scores chart to the Game Day channel."""

    gameday_id: int


@dataclass(frozen=True)
class GameDayReport(Effect, kind="gameday.report", target=CONFLUENCE, priority=BACKGROUND):
    """At the end: publish the Game Day report and link it in the Game Day channel."""

    gameday_id: int


@dataclass(frozen=True)
class GameDayAnnounce(Effect, kind="gameday.announce", target=SLACK, priority=BACKGROUND):
    """Tell a scheduled Game Day's teams it starts soon, or that it was skipped and why."""

    gameday_id: int
    starts_at: str
    skipped: str | None = None


# ---- the kinds by name --------------------------------------------------------------------

OPEN_CHANNEL = OpenChannel.kind
REFRESH = Refresh.kind
POST_EVENT = PostEvent.kind
INVITE = Invite.kind
EXPORT_POSTMORTEM = ExportPostmortem.kind
WELCOME = Welcome.kind
POSTMORTEM_PUBLISHED = PostmortemPublished.kind
NOTIFY = Notify.kind
ALERTS_RESOLVED = AlertsResolved.kind

ALL = (
    OPEN_CHANNEL,
    REFRESH,
    POST_EVENT,
    INVITE,
    WELCOME,
    EXPORT_POSTMORTEM,
    POSTMORTEM_PUBLISHED,
    NOTIFY,
    ALERTS_RESOLVED,
)

DIGEST_POST = DigestPost.kind
REMIND_UPDATE = RemindUpdate.kind
REMIND_ROLES = RemindRoles.kind
REMIND_POSTMORTEM = RemindPostmortem.kind
ASK_FAILURE_CLASS = AskFailureClass.kind

SCHEDULED = (DIGEST_POST, REMIND_UPDATE, REMIND_ROLES, REMIND_POSTMORTEM, ASK_FAILURE_CLASS)
"""Effects enqueued by the schedules rather than by a command."""

GAMEDAY_BOARD = GameDayBoard.kind
GAMEDAY_THEME = GameDayTheme.kind
GAMEDAY_SYMPTOM = GameDaySymptom.kind
GAMEDAY_HINT = GameDayHint.kind
GAMEDAY_REVEAL = GameDayReveal.kind
GAMEDAY_CHART = GameDayChart.kind
GAMEDAY_REPORT = GameDayReport.kind

GAMEDAY_ANNOUNCE = GameDayAnnounce.kind
GAMEDAY = (
    GAMEDAY_BOARD,
    GAMEDAY_THEME,
    GAMEDAY_SYMPTOM,
    GAMEDAY_HINT,
    GAMEDAY_REVEAL,
    GAMEDAY_CHART,
    GAMEDAY_REPORT,
    GAMEDAY_ANNOUNCE,
)
"""Effects of Game Days; their handlers live in `firefighter.slack.handlers.gameday_effects`."""

ALERT_CARD = AlertCard.kind
FOLLOWUP_JIRA_CREATE = FollowUpJiraCreate.kind
FOLLOWUP_JIRA_DONE = FollowUpJiraDone.kind
REMIND_FOLLOWUP = RemindFollowUp.kind
FOLLOWUP_JIRA_POLL = FollowUpJiraPoll.kind

FOLLOWUP = (FOLLOWUP_JIRA_CREATE, FOLLOWUP_JIRA_DONE, FOLLOWUP_JIRA_POLL)
"""Effects of follow-ups handled by the Jira adapter."""

MESSAGE_PINNED = MessagePinned.kind
DECLARED_FROM_MESSAGE = DeclaredFromMessage.kind
