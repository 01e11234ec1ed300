"""delivery that survives the real world: her windows, time zone, country, cover and plain-mode flag
encrypted (existing rows re-encrypted with LIAISON_KEY_FILE), the key-ring canary, retry budgets from the first attempt, inbound text repaired and marked

Revision ID: 0005
Revises: 0002
"""
import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None


# (table, column, what the plaintext was): text, or JSON (booleans and lists, stored as JSON text)
ENCRYPTED = [
    ("survivors", "country", "text"), ("survivors", "timezone", "text"), ("survivors", "persona", "text"),
    ("survivors", "plain_mode", "json"), ("survivors", "contact_windows", "json"),
    ("callback_requests", "windows", "json"),
]


def _encrypt_existing() -> None:
    """Her fields were plaintext: encrypt each existing value with the service's key file (the
    same LIAISON_KEY_FILE the service uses). With no rows, no key file is needed."""
    bind = op.get_bind()
    tables = {t for t, _, _ in ENCRYPTED}
    if not any(bind.execute(sa.text(f"SELECT 1 FROM {t} LIMIT 1")).first() for t in tables):
        return
    from bot.settings import load_settings
    from safety.crypto import KeyRing

    ring = KeyRing.load(load_settings().key_file)
    for table, column, kind in ENCRYPTED:
        rows = bind.execute(sa.text(f"SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL")).all()
        for row_id, value in rows:
            if value.startswith("enc1:"):
                continue
            plain = value if kind == "text" else json.dumps(json.loads(value), sort_keys=True)
            bind.execute(sa.text(f"UPDATE {table} SET {column} = :v WHERE id = :id"),
                         {"v": ring.encrypt(plain), "id": row_id})


def _to_text(table: str, column: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE TEXT USING {column}::text")
    else:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, type_=sa.Text())


def upgrade() -> None:
    for table, column, _ in ENCRYPTED:
        _to_text(table, column)
    if op.get_bind().dialect.name == "sqlite":  # SQLite kept booleans as 0/1: make them JSON
        op.execute("UPDATE survivors SET plain_mode = CASE WHEN plain_mode IN ('1', 1) THEN 'true' "
                   "ELSE 'false' END WHERE plain_mode NOT LIKE 'enc1:%'")
    _encrypt_existing()
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
    bind = op.get_bind()
    tables = {t for t, _, _ in ENCRYPTED}
    if any(bind.execute(sa.text(f"SELECT 1 FROM {t} LIMIT 1")).first() for t in tables):
        from bot.settings import load_settings
        from safety.crypto import KeyRing

        ring = KeyRing.load(load_settings().key_file)
        for table, column, _ in ENCRYPTED:
            rows = bind.execute(sa.text(f"SELECT id, {column} FROM {table} WHERE {column} LIKE 'enc1:%'")).all()
            for row_id, value in rows:
                bind.execute(sa.text(f"UPDATE {table} SET {column} = :v WHERE id = :id"),
                             {"v": ring.decrypt(value), "id": row_id})
    old_types: dict[str, Any] = {"country": sa.String(4), "timezone": sa.String(64), "persona": sa.String(32),
                 "plain_mode": sa.Boolean(), "contact_windows": sa.JSON(), "windows": sa.JSON()}
    for table, column, _ in ENCRYPTED:
        if bind.dialect.name == "postgresql":
            cast = {"plain_mode": "boolean", "contact_windows": "json", "windows": "json"}.get(column, "varchar")
            op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE {cast} USING {column}::{cast}")
        else:
            if column == "plain_mode":
                op.execute("UPDATE survivors SET plain_mode = CASE WHEN plain_mode = 'true' THEN 1 ELSE 0 END")
            with op.batch_alter_table(table) as batch:
                batch.alter_column(column, type_=old_types[column])
    with op.batch_alter_table("inbound_messages") as batch:
        batch.drop_column("text_repaired")
    with op.batch_alter_table("outbound_messages") as batch:
        batch.drop_column("first_attempt_at")
    op.drop_table("key_canary")
