"""followups: an incident's follow-ups, with owner, due date and Jira issue

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-10 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "followups",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=250), nullable=False),
        sa.Column("owner", sa.String(length=32), nullable=True),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_by", sa.String(length=32), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("snoozed_until", sa.Date(), nullable=True),
        sa.Column("jira_key", sa.String(length=32), nullable=True),
        sa.Column("jira_url", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("jira_key"),
    )
    op.create_index("ix_followups_incident", "followups", ["incident_id"])
    op.create_index("ix_followups_created_at", "followups", ["created_at"])
    op.create_index("ix_followups_closed_at", "followups", ["closed_at"])
    op.create_index(
        "ix_followups_open_due",
        "followups",
        ["due"],
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )


def downgrade() -> None:
    op.drop_index("ix_followups_open_due", table_name="followups")
    op.drop_index("ix_followups_closed_at", table_name="followups")
    op.drop_index("ix_followups_created_at", table_name="followups")
    op.drop_index("ix_followups_incident", table_name="followups")
    op.drop_table("followups")
