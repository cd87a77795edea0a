"""Names of the side effects the service enqueues; adapters register handlers for them."""

OPEN_CHANNEL = "incident.open_channel"
"""Create the incident channel, invite people, post and pin the card, announce."""

REFRESH = "incident.refresh"
"""Redraw the card, the announcement and the channel topic from the current state."""

POST_EVENT = "incident.post_event"
"""Post one timeline event in the channel (and updates in the announcement's thread)."""

INVITE = "incident.invite"
"""Invite users into the incident channel."""

EXPORT_POSTMORTEM = "postmortem.export"
"""Render the post-mortem and publish it (Confluence, or files)."""


WELCOME = "incident.welcome"
"""Show someone who just joined the channel where the incident stands (only to them)."""

POSTMORTEM_PUBLISHED = "postmortem.published"
"""Link the published post-mortem back: message in the channel, bookmark."""

NOTIFY = "incident.notify"
"""Post a one-off notice in the incident channel (payload: incident_id, text, key).

Enqueued without an incident_id on the outbox row, so a notice about a stuck effect is not
itself stuck behind that effect in the incident's delivery order.
"""

ALERTS_RESOLVED = "incident.alerts_resolved"
"""Tell the incident channel, once, that every linked alert resolved, with a mitigated button."""

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

DIGEST_POST = "digest.post"
"""Post the managers' digest and its chart (payload: days, end, reason)."""

REMIND_UPDATE = "reminder.update"
"""Nudge the commander in the channel: no update for the severity's interval."""

REMIND_ROLES = "reminder.roles"
"""Nudge the channel: communications lead or scribe still empty on a major incident."""

REMIND_POSTMORTEM = "reminder.postmortem"
"""Direct message to the commander: the post-mortem is overdue."""

ASK_FAILURE_CLASS = "reminder.failure_class"
"""Ask the channel which class of failure the incident was, with a menu."""

SCHEDULED = (DIGEST_POST, REMIND_UPDATE, REMIND_ROLES, REMIND_POSTMORTEM, ASK_FAILURE_CLASS)
"""Effects enqueued by the schedules rather than by a command."""

GAMEDAY_BOARD = "gameday.board"
"""Post the Game Day scoreboard, or redraw it in place (payload: gameday_id)."""

GAMEDAY_THEME = "gameday.theme"
"""Informed mode: tell a team its theme before the drills (payload: gameday_id, team)."""

GAMEDAY_SYMPTOM = "gameday.symptom"
"""Post the symptom the team sees in a drill's channel (payload: incident_id, gameday_id)."""

GAMEDAY_HINT = "gameday.hint"
"""Release a hint in a drill's channel (payload: incident_id, gameday_id, hint)."""

GAMEDAY_REVEAL = "gameday.reveal"
"""At the end: reveal what really happened in a drill's channel (payload: incident_id, …)."""

GAMEDAY_CHART = "gameday.chart"
"""At the end: upload the final scores chart to the Game Day channel (payload: gameday_id)."""

GAMEDAY_REPORT = "gameday.report"
"""At the end: publish the Game Day report and link it in the Game Day channel."""

GAMEDAY = (
    GAMEDAY_BOARD,
    GAMEDAY_THEME,
    GAMEDAY_SYMPTOM,
    GAMEDAY_HINT,
    GAMEDAY_REVEAL,
    GAMEDAY_CHART,
    GAMEDAY_REPORT,
)
"""Effects of Game Days; their handlers live in `firefighter.gameday`."""

ALERT_CARD = "alert.card"
"""Post an alert group's triage card, or redraw it in place (payload: group_id).

Not tied to an incident row: redraws are coalesced on the group (see AlertGroup.pending).
"""

FOLLOWUP_JIRA_CREATE = "followup.jira_create"
"""Create the follow-up's Jira issue exactly once (payload: incident_id, followup_id)."""

FOLLOWUP_JIRA_DONE = "followup.jira_done"
"""Transition the follow-up's Jira issue to done, if its workflow allows (payload: …)."""

REMIND_FOLLOWUP = "reminder.followup"
"""Direct message about a follow-up due or overdue (payload: followup_id, recipient, kind)."""

FOLLOWUP_JIRA_POLL = "followup.jira_poll"
"""Read the open follow-ups' Jira issues back in one search (when no webhook is configured)."""

FOLLOWUP = (FOLLOWUP_JIRA_CREATE, FOLLOWUP_JIRA_DONE, FOLLOWUP_JIRA_POLL)
"""Effects of follow-ups handled by the Jira adapter."""

MESSAGE_PINNED = "incident.message_pinned"
"""Show on a Slack message that it is in the timeline now (payload: channel, ts)."""

DECLARED_FROM_MESSAGE = "incident.declared_from_message"
"""Reply in the thread of the message an incident was declared from (payload: channel, ts)."""
