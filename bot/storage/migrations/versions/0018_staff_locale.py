"""each staff member's console language

`staff_members.locale` is the language the console is shown in for them (en, de); empty means the
site's (LIAISON_CONSOLE_LOCALE).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 04:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('staff_members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('staff_members', schema=None) as batch_op:
        batch_op.drop_column('locale')
