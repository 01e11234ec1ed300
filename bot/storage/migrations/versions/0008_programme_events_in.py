"""programme events in: the site a `programme` staff member sends for, and a started event's expected end

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('staff_members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('site', sa.String(length=64), nullable=True))
    with op.batch_alter_table('programme_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expected_end', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('programme_events', schema=None) as batch_op:
        batch_op.drop_column('expected_end')
    with op.batch_alter_table('staff_members', schema=None) as batch_op:
        batch_op.drop_column('site')
