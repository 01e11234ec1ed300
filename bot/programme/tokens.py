"""Per-site bearer tokens for POST /api/programme-events.

A token is shown once, when it is made; only its SHA-256 is stored (a stolen database holds no
usable token). A revoked token stays in the table, so the audit log can still name it, and is
refused with 403 rather than 401: the sender learns to ask for a new one, not to retry.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.programme.milestones import MilestoneError, parse_site
from bot.storage.audit import audit
from bot.storage.models import ProgrammeToken

PREFIX = "plt_"  # "programme liaison token": recognisable in a leaked config file or log
LABEL_LENGTH = 12  # the prefix and 8 characters: enough to tell tokens apart, useless to guess one


class TokenError(ValueError):
    """A token operation that cannot be done as asked."""


@dataclass(frozen=True)
class Presented:
    """The outcome of checking a presented token: the row (None: unknown) and whether it may post."""

    token: ProgrammeToken | None

    @property
    def valid(self) -> bool:
        return self.token is not None and self.token.revoked_at is None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def create_token(session: AsyncSession, site: str, *, actor: str, now: datetime) -> tuple[ProgrammeToken, str]:
    """A new token for `site`; returns the row and the token itself (never stored)."""
    try:
        site = parse_site(site)
    except MilestoneError as exc:
        raise TokenError(str(exc)) from None
    token = PREFIX + secrets.token_urlsafe(32)
    row = ProgrammeToken(site=site, token_hash=token_hash(token), label=token[:LABEL_LENGTH], created_by=actor[:64],
                         created_at=now)
    session.add(row)
    await session.flush()
    audit(session, actor, "programme.token_created", now=now, token_id=row.id, site=site, label=row.label)
    return row, token


async def revoke_token(session: AsyncSession, token_id: int, *, actor: str, now: datetime) -> ProgrammeToken:
    row = await session.get(ProgrammeToken, token_id)
    if row is None:
        raise TokenError(f"no token with id {token_id}")
    if row.revoked_at is not None:
        raise TokenError(f"token {token_id} was revoked on {row.revoked_at:%Y-%m-%d %H:%M} UTC already")
    row.revoked_at = now
    audit(session, actor, "programme.token_revoked", now=now, token_id=row.id, site=row.site, label=row.label)
    return row


async def list_tokens(session: AsyncSession) -> list[ProgrammeToken]:
    return list((await session.scalars(select(ProgrammeToken).order_by(ProgrammeToken.site, ProgrammeToken.id))).all())


async def check_token(session: AsyncSession, presented: str, now: datetime) -> Presented:
    """Find the token by its hash; a valid one is marked used now."""
    if not presented.startswith(PREFIX) or len(presented) > 200:
        return Presented(None)
    row = await session.scalar(select(ProgrammeToken).where(ProgrammeToken.token_hash == token_hash(presented)))
    if row is not None and row.revoked_at is None:
        row.last_used_at = now
    return Presented(row)
