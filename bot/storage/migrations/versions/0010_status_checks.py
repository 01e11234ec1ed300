"""status columns: CHECK constraints from the one list of each (safety/statuses.py)

A database holding a value outside a list is refused with the table, the column and the values, and
nothing is changed: such a row is data the code does not understand, for a person to look at.

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-01 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0008'
branch_labels = None
depends_on = None

# the lists as they were when this migration was written (a migration never imports moving code)
CHECKS = (
    ("survivors", "status", ("onboarding", "active", "stopped", "declined", "erasing", "erased")),
    ("channel_identities", "status", ("unverified", "active", "stopped", "suspect")),
    ("outbound_messages", "status", ("pending", "sending", "sent", "failed", "in_doubt", "cancelled", "held")),
    ("outbound_messages", "kind", ("send", "edit", "delete", "staff_alert")),
    ("escalations", "status", ("open", "claimed", "closed", "held")),
    ("escalations", "priority", ("urgent", "high", "routine")),
    ("callback_requests", "status", ("open", "closed")),
    ("staff_members", "status", ("enrolling", "active", "disabled")),
    ("erasure_approvals", "status", ("requested", "approved")),
    ("wave_instances", "state", ("planned", "queued", "sent", "reminded", "answered", "partial", "missing",
                                 "cancelled", "withdrawn")),
    ("wave_instances", "wave_kind", ("wave", "checkin")),
    ("wave_instances", "triage_priority", ("urgent", "high", "routine")),
)


def _name(table: str, column: str) -> str:
    return f"ck_{table}_{column}"


def _refuse_unknown_values() -> None:
    conn = op.get_bind()
    problems = []
    for table, column, values in CHECKS:
        found = conn.execute(sa.text(f'SELECT DISTINCT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL'))
        unknown = sorted(str(v) for (v,) in found if v not in values)
        if unknown:
            problems.append(f"{table}.{column} holds {', '.join(repr(v) for v in unknown)}")
    if problems:
        raise RuntimeError("status values outside their lists (safety/statuses.py), nothing changed: "
                           + "; ".join(problems))


def upgrade() -> None:
    _refuse_unknown_values()
    for table in dict.fromkeys(t for t, _, _ in CHECKS):
        with op.batch_alter_table(table) as batch:
            for t, column, values in CHECKS:
                if t == table:
                    listed = ", ".join(f"'{v}'" for v in values)
                    batch.create_check_constraint(_name(table, column), f"{column} IN ({listed})")


def downgrade() -> None:
    for table in dict.fromkeys(t for t, _, _ in CHECKS):
        with op.batch_alter_table(table) as batch:
            for t, column, _ in CHECKS:
                if t == table:
                    batch.drop_constraint(_name(table, column), type_="check")
