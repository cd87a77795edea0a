"""metrics, reminders and schedules

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 12:05:24.007539
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op



revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('schedule_runs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_by', sa.String(length=128), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name', 'due_at', name='uq_schedule_runs_due')
    )
    op.create_table('reminders',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('slot', sa.String(length=64), nullable=False),
    sa.Column('recipient', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('incident_id', 'kind', 'slot', name='uq_reminders_slot')
    )
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failure_class', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('reminders_snoozed_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_incidents_closed_at', ['closed_at'], unique=False)
        batch_op.create_index('ix_incidents_declared_at', ['declared_at'], unique=False)
        batch_op.create_index('ix_incidents_mitigated_at', ['mitigated_at'], unique=False)
        batch_op.create_index('ix_incidents_postmortem_pending', ['severity', 'mitigated_at'], unique=False, sqlite_where=sa.text('postmortem_url IS NULL'), postgresql_where=sa.text('postmortem_url IS NULL'))
        batch_op.create_index('ix_incidents_status_declared_at', ['status', 'declared_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index('ix_incidents_status_declared_at')
        batch_op.drop_index('ix_incidents_postmortem_pending', sqlite_where=sa.text('postmortem_url IS NULL'), postgresql_where=sa.text('postmortem_url IS NULL'))
        batch_op.drop_index('ix_incidents_mitigated_at')
        batch_op.drop_index('ix_incidents_declared_at')
        batch_op.drop_index('ix_incidents_closed_at')
        batch_op.drop_column('reminders_snoozed_until')
        batch_op.drop_column('failure_class')

    op.drop_table('reminders')
    op.drop_table('schedule_runs')
