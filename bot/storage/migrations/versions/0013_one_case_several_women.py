"""one case, several women: programme events matched through programme_event_matches

A man in a programme can have a partner and an ex-partner enrolled. His case may now be linked to
each of them (one woman still has one case), and an event is matched to every woman linked to it.
Existing matches move from programme_events.survivor_id into the new table, then the column goes.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 02:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('programme_event_matches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('survivor_id', sa.Integer(), nullable=False),
    sa.Column('matched_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['programme_events.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['survivor_id'], ['survivors.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_id', 'survivor_id', name='uq_programme_event_match')
    )
    with op.batch_alter_table('programme_event_matches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_programme_event_matches_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_programme_event_matches_survivor_id'), ['survivor_id'], unique=False)
    op.execute("INSERT INTO programme_event_matches (event_id, survivor_id, matched_at) "
               "SELECT id, survivor_id, COALESCE(matched_at, received_at) FROM programme_events "
               "WHERE survivor_id IS NOT NULL ORDER BY id")
    with op.batch_alter_table('programme_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_programme_events_survivor_id'))
        batch_op.drop_column('survivor_id')
    with op.batch_alter_table('programme_cases', schema=None) as batch_op:
        batch_op.drop_constraint('uq_programme_case', type_='unique')
        batch_op.create_index('ix_programme_cases_site_case', ['site', 'case_index'], unique=False)


def downgrade() -> None:
    """Refused when a case is linked to two women: one of the links would have to be dropped, and
    which one is a worker's decision, not a migration's."""
    shared = op.get_bind().execute(sa.text(
        "SELECT COUNT(*) FROM (SELECT site, case_index FROM programme_cases GROUP BY site, case_index "
        "HAVING COUNT(*) > 1) AS s")).scalar()
    if shared:
        raise RuntimeError(f"{shared} case(s) are linked to more than one woman: unlink all but one first")
    with op.batch_alter_table('programme_cases', schema=None) as batch_op:
        batch_op.drop_index('ix_programme_cases_site_case')
        batch_op.create_unique_constraint('uq_programme_case', ['site', 'case_index'])
    with op.batch_alter_table('programme_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('survivor_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_programme_events_survivor_id', 'survivors', ['survivor_id'], ['id'],
                                    ondelete='SET NULL')
        batch_op.create_index(batch_op.f('ix_programme_events_survivor_id'), ['survivor_id'], unique=False)
    op.execute("UPDATE programme_events SET survivor_id = (SELECT MIN(m.survivor_id) FROM programme_event_matches m "
               "WHERE m.event_id = programme_events.id)")
    with op.batch_alter_table('programme_event_matches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_programme_event_matches_survivor_id'))
        batch_op.drop_index(batch_op.f('ix_programme_event_matches_event_id'))
    op.drop_table('programme_event_matches')
