"""a console that holds under attack (issue 25): the last accepted TOTP time step per account

Revision ID: 0014_i25
Revises: 0011 (the head)
"""
import sqlalchemy as sa
from alembic import op

revision = "0014_i25"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff_members") as batch:
        batch.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("staff_members") as batch:
        batch.drop_column("totp_last_step")
