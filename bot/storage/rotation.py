"""Re-encrypt every encrypted column under the active key, in small batches, while the service runs."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Column, Text, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Base
from bot.storage.types import EncryptedJSON, EncryptedText
from safety.crypto import KeyRing


def encrypted_columns() -> list[Column[object]]:
    return [
        col
        for table in Base.metadata.sorted_tables
        for col in table.columns
        if isinstance(col.type, EncryptedText | EncryptedJSON)
    ]


async def count_not_under_active(session: AsyncSession, ring: KeyRing) -> int:
    prefix = f"enc1:{ring.active_id}:"
    total = 0
    for col in encrypted_columns():
        raw = type_coerce(col, Text)  # the stored ciphertext, not decrypted
        rows = (await session.execute(
            select(col.table.primary_key.columns.values()[0]).where(raw.isnot(None), ~raw.startswith(prefix))
        )).all()
        total += len(rows)
    return total


async def reencrypt(session_factory: Callable[[], AsyncSession], ring: KeyRing, batch: int = 500,
                    progress: Callable[[int], None] | None = None) -> int:
    """Rewrite every value not under the active key; returns how many values were rewritten."""
    prefix = f"enc1:{ring.active_id}:"
    total = 0
    for col in encrypted_columns():
        table = col.table
        pk = table.primary_key.columns.values()[0]
        raw = type_coerce(col, Text)
        while True:
            async with session_factory() as s, s.begin():
                ids = (await s.execute(
                    select(pk).where(raw.isnot(None), ~raw.startswith(prefix)).limit(batch)
                )).scalars().all()
                if not ids:
                    break
                values = (await s.execute(select(pk, col).where(pk.in_(ids)))).all()
                for row_id, value in values:
                    await s.execute(update(table).where(pk == row_id).values({col.name: value}))
            total += len(values)
            if progress:
                progress(len(values))
    return total
