"""Server-side console sessions: the cookie holds a random token, the table only its hash.

A session ends after 30 minutes without a request or 12 hours after sign-in, whichever comes
first (times from the service clock), or at sign-out, or when the account is disabled or reset.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import StaffMember, StaffSession
from safety.tokens import new_token, token_hash

IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=12)


@dataclass(frozen=True)
class Signed:
    session: StaffSession
    member: StaffMember


async def open_session(session: AsyncSession, member: StaffMember, now: datetime) -> str:
    token = new_token()
    session.add(StaffSession(token_hash=token_hash(token), staff_id=member.id, csrf_token=secrets.token_urlsafe(24),
                             created_at=now, last_seen_at=now))
    return token


async def current(session: AsyncSession, token: str | None, now: datetime, *, touch: bool = True) -> Signed | None:
    """The live session for a cookie's token (and, for a request she made, its last-seen time moved
    on; an open live-update stream checks without touching, so an unattended tab still idles out)."""
    if not token:
        return None
    row = await session.scalar(select(StaffSession).where(StaffSession.token_hash == token_hash(token)))
    if row is None or row.ended_at is not None:
        return None
    if now - row.last_seen_at > IDLE or now - row.created_at > ABSOLUTE:
        row.ended_at = now
        return None
    member = await session.get(StaffMember, row.staff_id)
    if member is None or member.status != "active":
        row.ended_at = now
        return None
    if touch:
        row.last_seen_at = now
    return Signed(row, member)


async def end_session(session: AsyncSession, token: str, now: datetime) -> None:
    await session.execute(update(StaffSession).where(StaffSession.token_hash == token_hash(token),
                                                     StaffSession.ended_at.is_(None)).values(ended_at=now))


async def end_all_sessions(session: AsyncSession, staff_id: int, now: datetime) -> None:
    await session.execute(update(StaffSession).where(StaffSession.staff_id == staff_id,
                                                     StaffSession.ended_at.is_(None)).values(ended_at=now))
