"""evaluation by site: programme_milestones.site, and wave_instances.programme_site for waves kept after erasure

Revision ID: 0006
Revises: 0002
Create Date: 2026-11-30 20:40:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('programme_milestones', schema=None) as batch_op:
        batch_op.add_column(sa.Column('site', sa.String(length=64), nullable=True))
    with op.batch_alter_table('wave_instances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('programme_site', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('wave_instances', schema=None) as batch_op:
        batch_op.drop_column('programme_site')
    with op.batch_alter_table('programme_milestones', schema=None) as batch_op:
        batch_op.drop_column('site')
