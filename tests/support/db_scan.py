"""Read every table, decrypting what is encrypted, to search the whole database for a trace."""

from __future__ import annotations

from sqlalchemy import select

from bot.storage.models import Base


async def everything_stored(db) -> str:
    """All values of all rows of all tables, decrypted, as one string."""
    parts: list[str] = []
    async with db.sessions() as s:
        for table in Base.metadata.sorted_tables:
            for row in (await s.execute(select(table))).all():
                parts.extend(repr(v) for v in row)
    return "\n".join(parts)


async def raw_dump(db) -> str:
    """What a dump shows without the key: every value of every table as stored (no decryption)."""
    from sqlalchemy import text

    parts: list[str] = []
    async with db.sessions() as s:
        for table in Base.metadata.sorted_tables:
            for row in (await s.execute(text(f'SELECT * FROM "{table.name}"'))).all():
                parts.extend(repr(v) for v in row)
    return "\n".join(parts)
