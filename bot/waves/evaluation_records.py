"""Which of her waves are evaluation data, and what of them outlives her erasure.

The evaluation (evaluation/data.py) reads these waves; the erasure (bot/actions/erasure.py) keeps
them, unlinked, when her latest evaluation consent is granted, and deletes the rest.
"""

from __future__ import annotations

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Answer, ProgrammeMilestones, Survivor, WaveInstance
from bot.waves.delivery import WITHDRAWN, WITHDRAWN_REASON
from safety.crypto import KeyRing

CLOSED_STATES = ("answered", "partial", "missing")
WITHDRAWN_STATE = WITHDRAWN
EXPORTED_STATES = (*CLOSED_STATES, WITHDRAWN_STATE)
PSEUDONYM_NAMESPACE = "evaluation"
# a closed wave, or one she withdrew from by quick exit (whatever state that left it in)
EXPORTED = or_(WaveInstance.state.in_(EXPORTED_STATES), WaveInstance.closed_reason == WITHDRAWN_REASON)
# waves kept after an erasure she consented to: no survivor, only the evaluation pseudonym
DETACHED = (WaveInstance.survivor_id.is_(None), WaveInstance.evaluation_pseudonym.isnot(None), EXPORTED)


async def detach_or_delete(session: AsyncSession, survivor_id: int, *, keep: bool, keyring: KeyRing) -> int:
    """At erasure, in the erasure's transaction (call before her survivors row is deleted).

    keep (her latest evaluation consent is granted): her closed waves and coded answers stay for
    evaluation, unlinked: no survivor id, her evaluation pseudonym and programme outcome copied onto
    the wave, free text blanked, triage and progress cleared. Everything else of hers (planned or open
    waves, milestones) is deleted. Not keep: all of it is deleted. Returns the number of waves kept.
    """
    kept = 0
    if keep:
        row = (await session.execute(
            select(Survivor.pseudonym, ProgrammeMilestones.outcome, ProgrammeMilestones.site)
            .outerjoin(ProgrammeMilestones, ProgrammeMilestones.survivor_id == Survivor.id)
            .where(Survivor.id == survivor_id)
        )).first()
        if row is not None:
            closed = select(WaveInstance.id).where(WaveInstance.survivor_id == survivor_id,
                                                   EXPORTED).scalar_subquery()
            await session.execute(update(Answer).where(Answer.wave_instance_id.in_(closed)).values(free_text=None))
            res = await session.execute(
                update(WaveInstance).where(WaveInstance.survivor_id == survivor_id, EXPORTED)
                .values(survivor_id=None, evaluation_pseudonym=keyring.pseudonym(PSEUDONYM_NAMESPACE, row[0]),
                        programme_outcome=row[1], programme_site=row[2], progress={}, triage_priority=None)
            )
            kept = int(res.rowcount or 0)  # type: ignore[attr-defined]
    rest = select(WaveInstance.id).where(WaveInstance.survivor_id == survivor_id).scalar_subquery()
    await session.execute(delete(Answer).where(Answer.wave_instance_id.in_(rest)))
    await session.execute(delete(WaveInstance).where(WaveInstance.survivor_id == survivor_id))
    await session.execute(delete(ProgrammeMilestones).where(ProgrammeMilestones.survivor_id == survivor_id))
    return kept
