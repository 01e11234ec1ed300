"""delivery that survives the real world: the key-ring canary, retry budgets from the first attempt, inbound text repaired and marked

Revision ID: 0005
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_messages") as batch:
        batch.add_column(sa.Column("text_repaired", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("outbound_messages") as batch:
        batch.add_column(sa.Column("first_attempt_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "key_canary",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_ids", sa.String(length=400), nullable=False),
        sa.Column("check_value", sa.Text(), nullable=False),
        sa.Column("index_check", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    with op.batch_alter_table("inbound_messages") as batch:
        batch.drop_column("text_repaired")
    with op.batch_alter_table("outbound_messages") as batch:
        batch.drop_column("first_attempt_at")
    op.drop_table("key_canary")
