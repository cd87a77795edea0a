"""alert storms: one storm card per source, and the groups folded into it

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 19:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_storms",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("folded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("card_channel", sa.String(length=32), nullable=True),
        sa.Column("card_ts", sa.String(length=32), nullable=True),
        sa.Column("changes", sa.Integer(), nullable=False),
        sa.Column("drawn", sa.Integer(), nullable=False),
        sa.Column("pending", sa.Boolean(), nullable=False),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", name="uq_alert_storms_source"),
    )
    with op.batch_alter_table("alert_groups", schema=None) as batch_op:
        batch_op.add_column(sa.Column("storm_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_alert_groups_storm_id_alert_storms",
            "alert_storms",
            ["storm_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index("ix_alert_groups_storm", ["storm_id"], unique=False)
        batch_op.create_index(
            "ix_alert_groups_source_created", ["source", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("alert_groups", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_groups_source_created")
        batch_op.drop_index("ix_alert_groups_storm")
        batch_op.drop_constraint("fk_alert_groups_storm_id_alert_storms", type_="foreignkey")
        batch_op.drop_column("storm_id")
    op.drop_table("alert_storms")
