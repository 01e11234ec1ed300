"""The audit log: append-only, each row chained to the one before by a keyed MAC.

Every `AuditEvent` added through a session of ours (an `AuditedSession`: every `Database`'s sessions
are) is sealed in the same transaction, just before it commits (ORM hooks on that class, not on
SQLAlchemy's `Session` for the whole process): it gets the next `seq`, the previous row's MAC, and
`row_hash = HMAC-SHA256(audit key, canonical JSON of the row + previous MAC)`. The key comes from the
key file (`KeyRing.audit_key`) and is never stored in the database, so whoever can write the database
cannot recompute the chain after changing a row. Sealing is serialised (a PostgreSQL advisory lock;
SQLite has one writer), so the chain never forks. The lock is taken at commit, not at the first
audit row's flush: held that long, any transaction that audits would wait for the slowest one (a
programme event matched to her case audits early and does much more after, and an answer waiting for
its lock would tell the programme's side that the case was linked). An edited row no longer matches
its MAC; a deleted row leaves a gap in `seq`; a cut tail is caught by the chain head anchored outside
the database (bot.audit_anchor). `verify_chain` names the first row that does not fit.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from bot.storage import bell
from bot.storage.models import AuditEvent
from bot.storage.types import keyring_of

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
    """The unkeyed SHA-256 the chain used before it was keyed (migration 0014 checks it once)."""
    return hashlib.sha256((canonical(row) + prev_hash).encode()).hexdigest()


def row_mac(row: AuditEvent | dict[str, Any], prev_mac: str, key: bytes) -> str:
    """The row's MAC: keyed, so it cannot be recomputed without the key file."""
    return hmac.new(key, (canonical(row) + prev_mac).encode(), hashlib.sha256).hexdigest()


def _key_of(conn: Any) -> bytes:
    return keyring_of(conn.dialect).audit_key


UNSEALED = "audit_unsealed"  # the key of a session's `info` that holds its flushed, not yet sealed, audit rows


def _note(session: Session, _flush_context: Any) -> None:
    new = [o for o in session.new if isinstance(o, AuditEvent)]
    if new:
        session.info.setdefault(UNSEALED, []).extend(new)


def _forget(session: Session, *_args: Any) -> None:
    session.info.pop(UNSEALED, None)


def _seal(session: Session) -> None:
    session.flush()  # audit rows still pending are noted (`_note`) before the chain is extended
    new = sorted((o for o in session.info.pop(UNSEALED, []) if o.seq is None), key=lambda o: o.id or 0)
    if not new:
        return
    conn = session.connection()
    key = _key_of(conn)
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": ADVISORY_LOCK})
    last = conn.execute(
        select(AuditEvent.seq, AuditEvent.row_hash).where(AuditEvent.seq.isnot(None))
        .order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    seq: int = int(last[0] or 0) if last else 0
    prev: str = str(last[1]) if last else GENESIS
    for row in new:
        seq += 1
        if row.at is not None and row.at.tzinfo is None:
            row.at = row.at.replace(tzinfo=UTC)
        set_committed_value(row, "seq", seq)
        digest = row_mac(row, prev, key)
        conn.execute(update(AuditEvent).where(AuditEvent.id == row.id)
                     .values(seq=seq, prev_hash=prev, row_hash=digest))
        set_committed_value(row, "prev_hash", prev)
        set_committed_value(row, "row_hash", digest)
        prev = digest


class AuditedSession(Session):
    """The sessions of a `Database`: audit rows they flush are sealed into the chain as they commit."""


event.listen(AuditedSession, "after_flush", _note)
event.listen(AuditedSession, "before_commit", _seal)
event.listen(AuditedSession, "after_rollback", _forget)
bell.install(AuditedSession)  # a worker's open page hears of her message the moment it commits


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
    head_seq: int = 0
    head_mac: str = ""
    witnessed: int = 0  # how many heads anchored outside the database were checked


@dataclass(frozen=True)
class Witnessed:
    """A chain head written outside the database (bot.audit_anchor): row `seq` had MAC `mac` then."""

    seq: int
    mac: str
    at: str = ""


async def chain_head(session: AsyncSession) -> tuple[int, str]:
    """The last sealed row's sequence number and MAC (0 and the genesis value for an empty log)."""
    last = (await session.execute(select(AuditEvent.seq, AuditEvent.row_hash).where(AuditEvent.seq.isnot(None))
                                  .order_by(AuditEvent.seq.desc()).limit(1))).first()
    return (int(last[0] or 0), str(last[1])) if last else (0, GENESIS)


async def verify_chain(session: AsyncSession, witness: Iterable[Witnessed] = (), *,
                       key: bytes | None = None) -> ChainReport:
    """Walk the chain in order; the first row whose MAC or link does not fit breaks it. Every head
    in `witness` must still be in the chain with the MAC it had: a cut tail is caught there."""
    if key is None:
        assert session.bind is not None, "a session of a Database"
        key = _key_of(session.bind)
    heads: dict[int, Witnessed] = {}
    for w in witness:
        heads.setdefault(w.seq, w)
    unsealed = await session.scalar(select(func.min(AuditEvent.id)).where(AuditEvent.seq.is_(None)))
    prev, expected_seq, count, last_id = GENESIS, 1, 0, None
    rows = await session.stream_scalars(select(AuditEvent).order_by(AuditEvent.seq).where(AuditEvent.seq.isnot(None)))
    async for row in rows:
        count += 1
        if row.seq != expected_seq:
            return ChainReport(False, count, row.id, f"sequence jumps from {expected_seq - 1} to {row.seq}: "
                                                     f"row seq {expected_seq} is missing (deleted)")
        if row.prev_hash != prev:
            return ChainReport(False, count, row.id, "does not point at the row before it")
        if not hmac.compare_digest(str(row.row_hash).encode(), row_mac(row, prev, key).encode()):
            return ChainReport(False, count, row.id, "its content does not match its MAC (edited or rewritten)")
        seen = heads.get(row.seq)
        if seen is not None and seen.mac != row.row_hash:
            return ChainReport(False, count, row.id, f"is not the row seq {row.seq} the witness recorded"
                                                     f"{' at ' + seen.at if seen.at else ''} (the chain was "
                                                     "rewritten from here)")
        prev, expected_seq, last_id = str(row.row_hash), expected_seq + 1, row.id
    head_seq = expected_seq - 1
    beyond = sorted(seq for seq in heads if seq > head_seq)
    if beyond:
        seen = heads[beyond[-1]]
        return ChainReport(False, count, last_id, f"the log ends at seq {head_seq}, but the witness recorded row seq "
                                                  f"{seen.seq}{' at ' + seen.at if seen.at else ''}: rows "
                                                  f"{head_seq + 1} to {seen.seq} at least were cut", head_seq,
                           prev, len(heads))
    if unsealed is not None:
        return ChainReport(False, count, unsealed, "is outside the chain (written around the log)", head_seq, prev)
    return ChainReport(True, count, head_seq=head_seq, head_mac=prev, witnessed=len(heads))
