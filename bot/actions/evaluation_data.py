"""What erasure does with evaluation answers: kept unlinkably if she consented, else deleted."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession


async def detach_or_delete_answers(session: AsyncSession, survivor_id: int, *, keep: bool) -> None:
    """No evaluation tables yet: nothing to do. (Filled in with the check-in waves.)"""
    return None
