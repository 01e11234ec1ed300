"""Whether a wave's opening reached her: `queued` -> `sent` -> ... or `withdrawn` by quick exit.

A wave instance is `queued` while its opening waits in the outbox (for her window, a pause, the
dispatcher), `sent` once the provider accepted it, and `withdrawn` (closed_reason
`withdrawn_quick_exit`) when her quick exit cancelled the opening before it went out: a survey she
never saw is not a non-response. A withdrawn wave is offered once more at her next window (see
scheduler/jobs.py); if that goes out it continues as a normal wave, keeping the reason, so the
evaluation can tell it apart.

The outbox row of an opening is found through its idempotency key (derived from the cause
`wave:<id>`, or `wave:<id>:again` for the re-offer), so no extra column is needed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.outbox.enqueue import idempotency_key
from bot.storage.models import OutboundMessage, WaveInstance

OPENING_KEY = "checkin.opening"
WAVE_MESSAGE_KEYS = (OPENING_KEY, "checkin.reminder")  # outbox text keys of what the wave jobs send
# no wave opens by itself this soon after her last message, and one waiting in the outbox waits again
QUIET_AFTER_HER_MESSAGE = timedelta(minutes=30)
WITHDRAWN = "withdrawn"
WITHDRAWN_REASON = "withdrawn_quick_exit"


def opening_cause(instance_id: int, again: bool = False) -> str:
    return f"wave:{instance_id}:again" if again else f"wave:{instance_id}"


def opening_keys(instance_id: int) -> tuple[str, str]:
    return idempotency_key(opening_cause(instance_id)), idempotency_key(opening_cause(instance_id, again=True))


async def _queued_instance_of(session: AsyncSession, survivor_id: int, key: str) -> WaveInstance | None:
    for inst in (await session.scalars(select(WaveInstance).where(
            WaveInstance.survivor_id == survivor_id, WaveInstance.state == "queued"))).all():
        if key in opening_keys(inst.id):
            return inst
    return None


async def opening_delivered(session: AsyncSession, msg: OutboundMessage, sent_at: datetime) -> None:
    """The provider accepted a wave's opening: the wave is `sent` from now (the dispatcher calls this
    in the transaction that records the send)."""
    if msg.text_key != OPENING_KEY or msg.survivor_id is None:
        return
    inst = await _queued_instance_of(session, msg.survivor_id, msg.idempotency_key)
    if inst is not None:
        await session.execute(update(WaveInstance).where(WaveInstance.id == inst.id, WaveInstance.state == "queued")
                              .values(state="sent", sent_at=sent_at))


async def queued_opening_keys(session: AsyncSession, survivor_id: int) -> list[str]:
    """Keys of wave openings still waiting in her outbox (read before quick exit cancels them)."""
    return list((await session.scalars(select(OutboundMessage.idempotency_key).where(
        OutboundMessage.survivor_id == survivor_id, OutboundMessage.kind == "send",
        OutboundMessage.text_key == OPENING_KEY, OutboundMessage.status.in_(("pending", "held")),
    ))).all())


async def withdraw(session: AsyncSession, survivor_id: int, cancelled_keys: list[str], now: datetime) -> int:
    """Her quick exit cancelled these openings before they reached her: their waves are withdrawn."""
    withdrawn = 0
    for key in cancelled_keys:
        inst = await _queued_instance_of(session, survivor_id, key)
        if inst is None:
            continue
        res = await session.execute(update(WaveInstance).where(
            WaveInstance.id == inst.id, WaveInstance.state == "queued",
        ).values(state=WITHDRAWN, closed_at=now, closed_reason=WITHDRAWN_REASON, reminder_at=None))
        withdrawn += int(res.rowcount or 0)  # type: ignore[attr-defined]
    return withdrawn
