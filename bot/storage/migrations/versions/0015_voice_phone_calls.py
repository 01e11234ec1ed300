"""phone calls: "Call her now" through Twilio Voice (issue 29), and the worker's own phone to ring first

A `phone_calls` row per call (numbers and reason encrypted; `active_survivor_id` unique while a call
runs, so two workers never ring her at once) and four columns on `staff_members` for the worker's
phone, verified once by a spoken code.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 02:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

OUTCOMES = ("confirmed", "not_confirmed", "no_answer", "machine", "busy", "failed", "worker_unreachable")


def upgrade() -> None:
    with op.batch_alter_table('staff_members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('call_number', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('call_number_verified_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('call_code_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('call_code_expires_at', sa.DateTime(timezone=True), nullable=True))
    listed = ", ".join(f"'{o}'" for o in OUTCOMES)
    op.create_table('phone_calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('survivor_id', sa.Integer(), nullable=True),
    sa.Column('active_survivor_id', sa.Integer(), nullable=True),
    sa.Column('callback_id', sa.Integer(), nullable=True),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('worker_number', sa.Text(), nullable=True),
    sa.Column('her_number', sa.Text(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('outside_windows_reason', sa.Text(), nullable=True),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.String(length=32), nullable=True),
    sa.Column('her_key', sa.String(length=16), nullable=True),
    sa.Column('worker_call_sid', sa.String(length=64), nullable=True),
    sa.Column('her_call_sid', sa.String(length=64), nullable=True),
    sa.Column('worker_seconds', sa.Integer(), nullable=True),
    sa.Column('her_seconds', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint(f"outcome IN ({listed})", name='ck_phone_calls_outcome'),
    sa.ForeignKeyConstraint(['callback_id'], ['callback_requests.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_members.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['survivor_id'], ['survivors.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('active_survivor_id'),
    sa.UniqueConstraint('token')
    )
    with op.batch_alter_table('phone_calls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_phone_calls_survivor_id'), ['survivor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_phone_calls_worker_call_sid'), ['worker_call_sid'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('phone_calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_phone_calls_worker_call_sid'))
        batch_op.drop_index(batch_op.f('ix_phone_calls_survivor_id'))
    op.drop_table('phone_calls')
    with op.batch_alter_table('staff_members', schema=None) as batch_op:
        batch_op.drop_column('call_code_expires_at')
        batch_op.drop_column('call_code_hash')
        batch_op.drop_column('call_number_verified_at')
        batch_op.drop_column('call_number')
