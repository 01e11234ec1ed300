"""a console and an audit log that hold under attack (issue 25): the last accepted TOTP time step per
account; sign-in slowed down per name and per address instead of an account lock; programme events
settled (matched) after they are answered; the audit chain keyed

The audit chain used SHA-256 with no secret: anyone who could write the database could change a row and
recompute every later hash. From here each row's MAC is HMAC-SHA256 under the audit key of the key file
(LIAISON_KEY_FILE, never the database). Existing rows are checked first against the unkeyed chain they
were written under: a chain that does not verify is refused with the row's id and nothing is changed
(someone must look at it before it is vouched for). A verified chain is re-MACed row by row, and one row
more, `audit.chain_keyed`, records how many rows were carried over and their unkeyed head. With no audit
rows, no key file is needed.

Revision ID: 0014
Revises: 0011 (the head)
"""
import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0011"
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def _canonical(seq: int, actor: str, action: str, pseudonym: str | None, details: Any, at: Any) -> str:
    """As bot.audit.canonical at the time of this migration."""
    if isinstance(details, str):
        details = json.loads(details)
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    body = {"seq": seq, "actor": actor, "action": action, "survivor_pseudonym": pseudonym,
            "details": details or {}, "at": at.isoformat(timespec="microseconds")}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _audit_key() -> bytes:
    from bot.settings import load_settings
    from safety.crypto import KeyRing

    return KeyRing.load(load_settings().key_file).audit_key


def _key_the_chain() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, seq, prev_hash, row_hash, actor, action, survivor_pseudonym, details, at "
                                "FROM audit_events ORDER BY seq")).fetchall()
    if not rows:
        return
    unsealed = [r[0] for r in rows if r[1] is None]
    if unsealed:
        raise RuntimeError(f"audit_events row id {min(unsealed)} is outside the chain; nothing changed")
    prev, macs = GENESIS, []
    for expected, (row_id, seq, prev_hash, digest, actor, action, pseudonym, details, at) in enumerate(rows, 1):
        text = _canonical(seq, actor, action, pseudonym, details, at)
        if seq != expected or prev_hash != prev or hashlib.sha256((text + prev).encode()).hexdigest() != digest:
            raise RuntimeError(f"the audit chain does not verify at row id {row_id} (seq {seq}); nothing changed: "
                               "look at it (`liaison audit verify` on the version before) before keying it")
        macs.append((row_id, seq, text))
        prev = digest
    unkeyed_head, key = prev, _audit_key()
    prev = GENESIS
    for row_id, _seq, text in macs:
        mac = hmac.new(key, (text + prev).encode(), hashlib.sha256).hexdigest()
        conn.execute(sa.text("UPDATE audit_events SET prev_hash = :p, row_hash = :h WHERE id = :i"),
                     {"p": prev, "h": mac, "i": row_id})
        prev = mac
    seq, now = len(macs) + 1, datetime.now(UTC)
    details = {"rows": len(macs), "unkeyed_head": unkeyed_head}
    mac = hmac.new(key, (_canonical(seq, "migration", "audit.chain_keyed", None, details, now) + prev).encode(),
                   hashlib.sha256).hexdigest()
    table = sa.table("audit_events", sa.column("actor", sa.String), sa.column("action", sa.String),
                     sa.column("details", sa.JSON), sa.column("at", sa.DateTime(timezone=True)),
                     sa.column("seq", sa.Integer), sa.column("prev_hash", sa.String), sa.column("row_hash", sa.String))
    conn.execute(table.insert().values(actor="migration", action="audit.chain_keyed", details=details, at=now,
                                       seq=seq, prev_hash=prev, row_hash=mac))


def upgrade() -> None:
    with op.batch_alter_table("staff_members") as batch:
        batch.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
        # the 15-minute lock is replaced by a slow-down counted per name and per address
        batch.drop_column("failed_sign_ins")
        batch.drop_column("locked_until")
    op.create_table(
        "sign_in_throttles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("wait_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    # a programme event is answered first and matched after (so the answer does not depend on her):
    # every event already stored was matched when it came
    with op.batch_alter_table("programme_events") as batch:
        batch.add_column(sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_programme_events_settled_at", ["settled_at"], unique=False)
    op.execute("UPDATE programme_events SET settled_at = received_at")
    _key_the_chain()


def downgrade() -> None:
    """The chain stays keyed (the code before this revision would report it broken)."""
    with op.batch_alter_table("programme_events") as batch:
        batch.drop_index("ix_programme_events_settled_at")
        batch.drop_column("settled_at")
    op.drop_table("sign_in_throttles")
    with op.batch_alter_table("staff_members") as batch:
        batch.drop_column("totp_last_step")
        batch.add_column(sa.Column("failed_sign_ins", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
