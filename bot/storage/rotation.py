"""Re-encrypt every encrypted column under the active key, in small batches, while the service runs;
and count the stored values per key id (`liaison keys status`, and what `keys rotate` reports).

A value is rewritten only if it is still the ciphertext that was read: the service may change the same
row meanwhile (her state, a message's body), and its newer value must never be overwritten by the
older one re-encrypted. A value the service wrote under the old key while the rotation ran (a process
that had not yet noticed the new key) is left for the next pass: `liaison keys rotate` repeats until
no value is left under an old key.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from sqlalchemy import Column, Text, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Base
from bot.storage.types import EncryptedJSON, EncryptedText
from safety.crypto import KeyRing


def encrypted_columns() -> list[Column[Any]]:
    return [
        col
        for table in Base.metadata.sorted_tables
        for col in table.columns
        if isinstance(col.type, EncryptedText | EncryptedJSON)
    ]


def stored(col: Column[Any]) -> Any:
    """The column as stored: the ciphertext, not decrypted."""
    return type_coerce(col, Text)


async def count_not_under_active(session: AsyncSession, ring: KeyRing) -> int:
    prefix = f"enc1:{ring.active_id}:"
    total = 0
    for col in encrypted_columns():
        raw = stored(col)
        rows = (await session.execute(
            select(col.table.primary_key.columns.values()[0]).where(raw.isnot(None), ~raw.startswith(prefix))
        )).all()
        total += len(rows)
    return total


async def values_per_key(session: AsyncSession) -> Counter[str]:
    """How many stored values each key id encrypted ("(not encrypted)" for anything else)."""
    counts: Counter[str] = Counter()
    for col in encrypted_columns():
        result = await session.stream_scalars(select(stored(col)).where(stored(col).isnot(None)))
        async for token in result:
            counts[KeyRing.key_id_of(token) or "(not encrypted)"] += 1
    return counts


async def reencrypt(session_factory: Callable[[], AsyncSession], ring: KeyRing, batch: int = 500,
                    progress: Callable[[int], None] | None = None) -> int:
    """One pass: rewrite every value not under the active key; returns how many were rewritten."""
    prefix = f"enc1:{ring.active_id}:"
    total = 0
    for col in encrypted_columns():
        table = col.table
        pk = table.primary_key.columns.values()[0]
        raw = stored(col)
        after: Any = None  # walk the primary key once per pass: a row the service holds is not retried here
        while True:
            async with session_factory() as s, s.begin():
                query = select(pk, raw).where(raw.isnot(None), ~raw.startswith(prefix)).order_by(pk).limit(batch)
                if after is not None:
                    query = query.where(pk > after)
                found = (await s.execute(query)).all()
                if not found:
                    break
                rewritten = 0
                for row_id, token in found:
                    fresh = ring.encrypt(ring.decrypt(token))
                    changed = await s.execute(update(table).where(pk == row_id, raw == token)
                                              .values({col.name: type_coerce(fresh, Text)}))
                    rewritten += changed.rowcount or 0  # type: ignore[attr-defined]
                after = found[-1][0]
            total += rewritten
            if progress:
                progress(rewritten)
    return total
