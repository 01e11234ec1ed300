"""outbox claims carry their owner, and the provider's rate is shared through the database

`claimed_by` names the process that claimed a row (`sending`), so a process that starts can
tell claims of a dead process (released at once) from claims of a live one (left alone), instead
of waiting for the claim's lease. `provider_turns` holds each provider's shared schedule of
sending turns (bot.outbox.shared_rate), so several processes together keep to the provider's limit.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 01:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sa.BigInteger(), nullable=True))
    op.create_table('provider_turns',
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('chat', sa.String(length=64), nullable=False),
    sa.Column('tat', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('channel', 'chat')
    )


def downgrade() -> None:
    op.drop_table('provider_turns')
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.drop_column('claimed_by')
