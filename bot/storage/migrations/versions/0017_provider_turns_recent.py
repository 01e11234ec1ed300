"""provider turns remember the channel's latest turns (a sliding window, as the in-process pacer)

`provider_turns.recent` holds the times of a channel's latest turns, up to the rate's count in
one window, so the processes' shared schedule keeps at most that many turns in any window and
makes up a turn lost to a stall within it (bot.outbox.shared_rate). Used on PostgreSQL only (a
float array); SQLite, one process, paces in memory and holds an unused JSON column.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 04:30:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('provider_turns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recent', postgresql.ARRAY(sa.Float()).with_variant(sa.JSON(), 'sqlite'),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('provider_turns', schema=None) as batch_op:
        batch_op.drop_column('recent')
