"""The audit log: append-only, each row chained to the one before by a hash.

Every `AuditEvent` added through a session of ours (an `AuditedSession`: every `Database`'s sessions
are) is sealed in the same transaction (an ORM `after_flush` hook on that class, not on SQLAlchemy's
`Session` for the whole process): it gets the next `seq`, the previous row's hash, and
`row_hash = SHA-256(canonical JSON of the row + previous hash)`. Sealing is serialised (a
PostgreSQL advisory lock; SQLite has one writer, and the row was just inserted), so the chain
never forks. An edited row no longer matches its hash; a deleted row leaves the next row pointing
at a hash that is not its predecessor's. `verify_chain` names the first row that does not fit.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from bot.storage.models import AuditEvent

GENESIS = "0" * 64
ADVISORY_LOCK = 0x11A0D17  # one number for "the audit chain"


def canonical(row: AuditEvent | dict[str, Any]) -> str:
    """The fields a hash covers, as canonical JSON (sorted keys, no spaces, UTC ISO time)."""
    get = row.get if isinstance(row, dict) else (lambda k: getattr(row, k))
    at = get("at")
    if isinstance(at, datetime):
        at = at.astimezone(UTC).isoformat(timespec="microseconds")
    body = {
        "seq": get("seq"), "actor": get("actor"), "action": get("action"),
        "survivor_pseudonym": get("survivor_pseudonym"), "details": get("details") or {}, "at": at,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def row_hash(row: AuditEvent | dict[str, Any], prev_hash: str) -> str:
    return hashlib.sha256((canonical(row) + prev_hash).encode()).hexdigest()


def _seal(session: Session, _flush_context: Any) -> None:
    new = sorted((o for o in session.new if isinstance(o, AuditEvent)), key=lambda o: o.id or 0)
    if not new:
        return
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": ADVISORY_LOCK})
    last = conn.execute(
        select(AuditEvent.seq, AuditEvent.row_hash).where(AuditEvent.seq.isnot(None))
        .order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    seq: int = int(last[0] or 0) if last else 0
    prev: str = str(last[1]) if last else GENESIS
    for row in new:
        if row.seq is not None:
            continue
        seq += 1
        if row.at is not None and row.at.tzinfo is None:
            row.at = row.at.replace(tzinfo=UTC)
        set_committed_value(row, "seq", seq)
        digest = row_hash(row, prev)
        conn.execute(update(AuditEvent).where(AuditEvent.id == row.id)
                     .values(seq=seq, prev_hash=prev, row_hash=digest))
        set_committed_value(row, "prev_hash", prev)
        set_committed_value(row, "row_hash", digest)
        prev = digest


class AuditedSession(Session):
    """The sessions of a `Database`: audit rows they flush are sealed into the chain."""


event.listen(AuditedSession, "after_flush", _seal)


def audit(session: AsyncSession, actor: str, action: str, *, survivor: str | None = None,
          now: datetime | None = None, **details: Any) -> AuditEvent:
    """Append one audit row (sealed when the session flushes). Never content: ids and codes only."""
    row = AuditEvent(actor=actor[:64], action=action[:64], survivor_pseudonym=survivor, details=details)
    if now is not None:
        row.at = now
    session.add(row)
    return row


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    rows: int
    first_broken_id: int | None = None
    problem: str = ""


async def verify_chain(session: AsyncSession) -> ChainReport:
    """Walk the chain in order; the first row whose hash or link does not fit breaks it."""
    unsealed = await session.scalar(select(func.min(AuditEvent.id)).where(AuditEvent.seq.is_(None)))
    prev, expected_seq, count = GENESIS, 1, 0
    rows = await session.stream_scalars(select(AuditEvent).order_by(AuditEvent.seq).where(AuditEvent.seq.isnot(None)))
    async for row in rows:
        count += 1
        if row.seq != expected_seq:
            return ChainReport(False, count, row.id, f"sequence jumps to {row.seq} (a row before it is missing)")
        if row.prev_hash != prev:
            return ChainReport(False, count, row.id, "does not point at the row before it")
        if row.row_hash != row_hash(row, prev):
            return ChainReport(False, count, row.id, "its content does not match its hash (edited)")
        prev, expected_seq = row.row_hash, expected_seq + 1
    if unsealed is not None:
        return ChainReport(False, count, unsealed, "is outside the chain (written around the log)")
    return ChainReport(True, count)
