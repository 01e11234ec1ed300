"""Sign-in slow-down instead of a lock: failures are counted per name tried and per address, and
after a few free ones each further failure makes that name (or address) wait, twice as long each
time, up to a cap. A name that does not exist is counted and answered exactly like one that does, so
the answer never tells who works here. The cap per name is short (a worker is never kept out for long,
in an emergency least of all: someone trying her name from elsewhere delays her a minute at most);
the cap per address is longer (one address guessing many names is an attack). A success clears the
name's count; an admin can clear a person's (and every address's) at once.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import SignInThrottle

FREE_FAILURES = 3
NAME_CAP = timedelta(seconds=60)
ADDRESS_CAP = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=24)  # a count this old starts again


def name_key(name: str) -> str:
    return "name:" + hashlib.sha256(name.strip().casefold().encode()).hexdigest()


def address_key(address: str) -> str:
    return "addr:" + hashlib.sha256(address.encode()).hexdigest()


def delay(failures: int, cap: timedelta) -> timedelta:
    """How long to wait after this many failures in a row: nothing for the first few, then 1 s, 2 s,
    4 s ... up to `cap`."""
    if failures <= FREE_FAILURES:
        return timedelta(0)
    return min(cap, timedelta(seconds=2 ** min(failures - FREE_FAILURES - 1, 20)))


@dataclass(frozen=True)
class Wait:
    seconds: int  # 0: go ahead


async def _rows(session: AsyncSession, keys: list[str]) -> dict[str, SignInThrottle]:
    found = (await session.scalars(select(SignInThrottle).where(SignInThrottle.key.in_(keys)))).all()
    return {row.key: row for row in found}


async def must_wait(session: AsyncSession, name: str, address: str, now: datetime) -> Wait:
    rows = await _rows(session, [name_key(name), address_key(address)])
    waits = [(r.wait_until - now).total_seconds() for r in rows.values()
             if r.wait_until is not None and r.wait_until > now]
    return Wait(max(1, math.ceil(max(waits))) if waits else 0)


async def failed(session: AsyncSession, name: str, address: str, now: datetime) -> None:
    """Count one failure against the name and the address (the same work whether the name exists)."""
    keys = {name_key(name): NAME_CAP, address_key(address): ADDRESS_CAP}
    rows = await _rows(session, list(keys))
    for key, cap in keys.items():
        row = rows.get(key)
        if row is None:
            row = SignInThrottle(key=key, failures=0, updated_at=now)
            session.add(row)
        elif now - row.updated_at > FORGET_AFTER:
            row.failures = 0
        row.failures += 1
        row.updated_at = now
        pause = delay(row.failures, cap)
        row.wait_until = now + pause if pause else None


async def succeeded(session: AsyncSession, name: str) -> None:
    await session.execute(delete(SignInThrottle).where(SignInThrottle.key == name_key(name)))


async def clear(session: AsyncSession, name: str) -> int:
    """An admin's clearing: the person's count, and every address's (addresses are kept only as
    hashes, so no one can pick out one). Returns how many counts were cleared."""
    result = await session.execute(delete(SignInThrottle).where(
        (SignInThrottle.key == name_key(name)) | SignInThrottle.key.startswith("addr:")))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def slowed_names(session: AsyncSession, names: list[str], now: datetime) -> set[str]:
    """Which of these names must wait now (for the admin's staff page)."""
    rows = await _rows(session, [name_key(n) for n in names])
    return {n for n in names if (r := rows.get(name_key(n))) is not None and r.wait_until is not None
            and r.wait_until > now}
