"""outbox: target system, priority class and ordering per item; lanes per incident and target

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 19:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = "delivered_at IS NULL AND dead_at IS NULL"

# The kinds as they were declared when this revision was written (target, priority, ordered);
# a migration must not import the code, which moves on.
KINDS: dict[str, tuple[str, int, bool]] = {
    "incident.open_channel": ("slack", 0, True),
    "incident.refresh": ("slack", 0, True),
    "incident.post_event": ("slack", 0, True),
    "incident.invite": ("slack", 0, True),
    "incident.welcome": ("slack", 0, False),
    "incident.notify": ("slack", 0, False),
    "incident.alerts_resolved": ("slack", 0, True),
    "incident.message_pinned": ("slack", 0, False),
    "incident.declared_from_message": ("slack", 0, False),
    "postmortem.published": ("slack", 0, True),
    "postmortem.export": ("confluence", 1, True),
    "followup.jira_create": ("jira", 1, True),
    "followup.jira_done": ("jira", 1, True),
    "followup.jira_poll": ("jira", 2, False),
    "digest.post": ("slack", 2, True),
    "reminder.update": ("slack", 2, True),
    "reminder.roles": ("slack", 2, True),
    "reminder.postmortem": ("slack", 2, True),
    "reminder.failure_class": ("slack", 2, True),
    "reminder.followup": ("slack", 2, True),
    "alert.card": ("slack", 2, True),
    "gameday.board": ("slack", 2, True),
    "gameday.theme": ("slack", 2, True),
    "gameday.symptom": ("slack", 2, True),
    "gameday.hint": ("slack", 2, True),
    "gameday.reveal": ("slack", 2, True),
    "gameday.chart": ("slack", 2, True),
    "gameday.report": ("confluence", 2, True),
}


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("target", sa.String(length=32), server_default="internal", nullable=False)
        )
        batch_op.add_column(
            sa.Column("priority", sa.SmallInteger(), server_default=sa.text("1"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("ordered", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
    outbox = sa.table(
        "outbox",
        sa.column("kind", sa.String()),
        sa.column("target", sa.String()),
        sa.column("priority", sa.SmallInteger()),
        sa.column("ordered", sa.Boolean()),
    )
    for kind, (target, priority, ordered) in KINDS.items():
        op.execute(
            outbox.update()
            .where(outbox.c.kind == kind)
            .values(target=target, priority=priority, ordered=ordered)
        )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_outbox_incident_pending",
            sqlite_where=sa.text(PENDING),
            postgresql_where=sa.text(PENDING),
        )
        batch_op.create_index(
            "ix_outbox_lane_pending",
            ["incident_id", "target", "id"],
            unique=False,
            sqlite_where=sa.text(PENDING),
            postgresql_where=sa.text(PENDING),
        )
        batch_op.create_index(
            "ix_outbox_priority_pending",
            ["priority", "id"],
            unique=False,
            sqlite_where=sa.text(PENDING),
            postgresql_where=sa.text(PENDING),
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_outbox_priority_pending",
            sqlite_where=sa.text(PENDING),
            postgresql_where=sa.text(PENDING),
        )
        batch_op.drop_index(
            "ix_outbox_lane_pending",
            sqlite_where=sa.text(PENDING),
            postgresql_where=sa.text(PENDING),
        )
        batch_op.create_index(
            "ix_outbox_incident_pending",
            ["incident_id", "id"],
            unique=False,
            sqlite_where=sa.text(PENDING),
            postgresql_where=sa.text(PENDING),
        )
        batch_op.drop_column("ordered")
        batch_op.drop_column("priority")
        batch_op.drop_column("target")
