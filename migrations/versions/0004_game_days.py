"""game days

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 12:29:31.936548
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op



revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('gamedays',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('spec', sa.JSON(), nullable=False),
    sa.Column('source', sa.String(length=500), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('loaded_by', sa.String(length=32), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('started_by', sa.String(length=32), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_by', sa.String(length=32), nullable=True),
    sa.Column('channel_id', sa.String(length=32), nullable=True),
    sa.Column('board_ts', sa.String(length=32), nullable=True),
    sa.Column('board_mark', sa.String(length=64), nullable=True),
    sa.Column('board_queued_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('report_page_id', sa.String(length=64), nullable=True),
    sa.Column('report_url', sa.String(length=500), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('gamedays', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gamedays_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_gamedays_status'), ['status'], unique=False)

    op.create_table('gameday_steps',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('gameday_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('scenario', sa.Integer(), nullable=True),
    sa.Column('team', sa.String(length=64), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['gameday_id'], ['gamedays.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('gameday_id', 'key', name='uq_gameday_steps_key')
    )
    with op.batch_alter_table('gameday_steps', schema=None) as batch_op:
        batch_op.create_index('ix_gameday_steps_due', ['done_at', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_gameday_steps_incident_id'), ['incident_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('gameday_steps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gameday_steps_incident_id'))
        batch_op.drop_index('ix_gameday_steps_due')

    op.drop_table('gameday_steps')
    with op.batch_alter_table('gamedays', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gamedays_status'))
        batch_op.drop_index(batch_op.f('ix_gamedays_name'))

    op.drop_table('gamedays')
