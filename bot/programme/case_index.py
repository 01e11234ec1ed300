"""His case reference as the service keeps it: a blind index to match on (per site), ciphertext
for her worker. The reference is normalised first, so a worker typing 'abc 12' finds 'ABC  12'."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.programme.validation import normalise_case_ref
from bot.storage.models import ProgrammeCase
from safety.crypto import KeyRing


def case_index(keyring: KeyRing, site: str, case_ref: str) -> str:
    return keyring.blind_index("programme_case", f"{site}\x1f{normalise_case_ref(case_ref)}")


async def cases_linked(session: AsyncSession, site: str, index: str) -> list[ProgrammeCase]:
    """Every woman's link to this case (his partner and his ex-partner may both be enrolled)."""
    return list((await session.scalars(select(ProgrammeCase).where(
        ProgrammeCase.site == site, ProgrammeCase.case_index == index).order_by(ProgrammeCase.id))).all())
