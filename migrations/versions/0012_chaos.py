"""chaos: chaos experiments' results per component, and freezes

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 19:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chaos_results",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_key", sa.String(length=255), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("experiment", sa.String(length=200), nullable=False),
        sa.Column("component", sa.String(length=64), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("verdict", sa.String(length=8), nullable=False),
        sa.Column("probe_success", sa.Float(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("gameday_id", sa.Integer(), nullable=True),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_key"),
    )
    op.create_index("ix_chaos_results_component_at", "chaos_results", ["component", "at"])
    op.create_index("ix_chaos_results_gameday_id", "chaos_results", ["gameday_id"])
    op.create_table(
        "chaos_freezes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("component", sa.String(length=64), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("set_by", sa.String(length=32), nullable=True),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lifted_by", sa.String(length=32), nullable=True),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_chaos_freezes_open", "chaos_freezes", ["component", "lifted_at"])


def downgrade() -> None:
    op.drop_index("ix_chaos_freezes_open", table_name="chaos_freezes")
    op.drop_table("chaos_freezes")
    op.drop_index("ix_chaos_results_gameday_id", table_name="chaos_results")
    op.drop_index("ix_chaos_results_component_at", table_name="chaos_results")
    op.drop_table("chaos_results")
