"""her conversation in the console (issue 28): the message that raised an escalation, and a worker's live conversation

`escalations.inbound_id` names her message that raised it (its text stays where it always was,
encrypted, until it expires or retention removes it). `live_conversations` holds who writes with her
from the console: `active_survivor_id` is unique while it is held, so one worker holds it at a time.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 04:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('escalations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('inbound_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_escalations_inbound_id', 'inbound_messages', ['inbound_id'], ['id'],
                                    ondelete='SET NULL')
    op.create_table('live_conversations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survivor_id', sa.Integer(), nullable=True),
    sa.Column('active_survivor_id', sa.Integer(), nullable=True),
    sa.Column('escalation_id', sa.Integer(), nullable=True),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['escalation_id'], ['escalations.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_members.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['survivor_id'], ['survivors.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('active_survivor_id')
    )
    with op.batch_alter_table('live_conversations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_live_conversations_survivor_id'), ['survivor_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('live_conversations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_live_conversations_survivor_id'))
    op.drop_table('live_conversations')
    with op.batch_alter_table('escalations', schema=None) as batch_op:
        batch_op.drop_constraint('fk_escalations_inbound_id', type_='foreignkey')
        batch_op.drop_column('inbound_id')
