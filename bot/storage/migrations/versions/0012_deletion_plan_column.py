"""a queued deletion's plan in its own column: outbound_messages.deletion_plan (encrypted JSON), out of `body`

A deletion row used to carry its plan as JSON text in the message body, `{"ids", "out", "in"[, "count"]}`.
The plan moves, still encrypted with the service's key file (LIAISON_KEY_FILE), into its own column, and
the body of a deletion row becomes empty; a CHECK constraint keeps a plan on every deletion row and on
no other. A body that is not such a plan is refused with the row's id and nothing is changed.

Revision ID: 0012
Revises: 0010
"""
import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None

CHECK = "ck_outbound_messages_deletion_plan"


def _ring() -> Any:
    from bot.settings import load_settings
    from safety.crypto import KeyRing

    return KeyRing.load(load_settings().key_file)


def _deletion_rows(column: str) -> list[tuple[int, str | None]]:
    rows = op.get_bind().execute(sa.text(
        f"SELECT id, {column} FROM outbound_messages WHERE kind = 'delete' ORDER BY id"))
    return [(row_id, value) for row_id, value in rows]


def _plan_from_body(ring: Any, row_id: int, body: str | None) -> dict[str, Any]:
    """The stored form the service writes (safety.deletion.DeletionPlan.to_json, keys sorted)."""
    try:
        old = json.loads(ring.decrypt(body or ""))
        return {"provider_ids": [str(p) for p in old["ids"]], "outbound_ids": [int(i) for i in old["out"]],
                "inbound_ids": [int(i) for i in old["in"]], "count": int(old.get("count", 0))}
    except (ValueError, KeyError, TypeError):
        raise RuntimeError(f"outbound_messages row {row_id} is a deletion whose body is not a deletion plan; "
                           "nothing changed") from None


def upgrade() -> None:
    rows = _deletion_rows("body")
    plans: dict[int, str] = {}
    if rows:  # with no deletion rows, no key file is needed
        ring = _ring()
        plans = {row_id: ring.encrypt(json.dumps(_plan_from_body(ring, row_id, body), sort_keys=True))
                 for row_id, body in rows}
    with op.batch_alter_table("outbound_messages") as batch:
        batch.add_column(sa.Column("deletion_plan", sa.Text(), nullable=True))
    for row_id, plan in plans.items():
        op.get_bind().execute(sa.text("UPDATE outbound_messages SET deletion_plan = :p, body = NULL WHERE id = :id"),
                              {"p": plan, "id": row_id})
    with op.batch_alter_table("outbound_messages") as batch:
        batch.create_check_constraint(CHECK, "(kind = 'delete') = (deletion_plan IS NOT NULL)")


def downgrade() -> None:
    rows = _deletion_rows("deletion_plan")
    bodies: dict[int, str] = {}
    if rows:
        ring = _ring()
        for row_id, stored in rows:
            plan = json.loads(ring.decrypt(stored or ""))
            bodies[row_id] = ring.encrypt(json.dumps({"ids": plan["provider_ids"], "out": plan["outbound_ids"],
                                                      "in": plan["inbound_ids"], "count": plan["count"]}))
    for row_id, body in bodies.items():
        op.get_bind().execute(sa.text("UPDATE outbound_messages SET body = :b WHERE id = :id"),
                              {"b": body, "id": row_id})
    with op.batch_alter_table("outbound_messages") as batch:
        batch.drop_constraint(CHECK, type_="check")
        batch.drop_column("deletion_plan")
