"""Erasure of a survivor ("delete my data", `liaison erase`, retention of closed cases).

Everything identifying goes: identities, messages, free text, PIN, state, call-backs, calls,
invitations, notices.
Provider records are deleted through the outbox (deletion commands carry their own encrypted copy of
the address and blank it when done). Escalations stay as content-free counts for the programme's
accountability; an audit event records that erasure happened, without content.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.actions.deletion import deletable_messages, queue_deletions
from bot.storage.db import session_keyring
from bot.storage.models import (
    AuditEvent,
    CallbackRequest,
    ChannelIdentity,
    ConsentRecord,
    Escalation,
    InboundMessage,
    Invitation,
    Notice,
    NoticeStep,
    OutboundMessage,
    PhoneCall,
    Survivor,
)
from bot.waves.evaluation_records import detach_or_delete


@dataclass(frozen=True)
class ErasureReport:
    provider_deletions: int
    kept_evaluation_answers: bool


async def evaluation_consent(session: AsyncSession, survivor_id: int) -> bool:
    """Her latest word on evaluation use of her answers."""
    latest = await session.scalar(
        select(ConsentRecord.granted).where(ConsentRecord.survivor_id == survivor_id,
                                            ConsentRecord.kind == "evaluation")
        .order_by(ConsentRecord.recorded_at.desc(), ConsentRecord.id.desc()).limit(1)
    )
    return bool(latest)


async def erase_survivor(session: AsyncSession, survivor: Survivor, *, actor: str, reason: str,
                         now: datetime) -> ErasureReport:
    sid, pseudonym = survivor.id, survivor.pseudonym
    keep_answers = await evaluation_consent(session, sid)
    await session.execute(
        update(OutboundMessage).where(OutboundMessage.survivor_id == sid, OutboundMessage.kind == "send",
                                      OutboundMessage.status.in_(("pending", "held")))
        .values(status="cancelled", body=None, buttons=None)
    )
    await session.flush()
    identities = (await session.scalars(select(ChannelIdentity).where(ChannelIdentity.survivor_id == sid))).all()
    deletions = 0
    for identity in identities:
        deletions += await queue_deletions(session, identity, await deletable_messages(session, identity),
                                           f"erase:{pseudonym}:{identity.id}", now, whole_chat=True)
    await session.flush()
    await detach_or_delete(session, sid, keep=keep_answers, keyring=session_keyring(session))
    # deletion commands outlive her records: unlink them, they blank their address when done
    await session.execute(update(OutboundMessage).where(OutboundMessage.survivor_id == sid,
                                                        OutboundMessage.kind == "delete")
                          .values(survivor_id=None, identity_id=None))
    await session.execute(delete(OutboundMessage).where(OutboundMessage.survivor_id == sid))
    await session.execute(delete(InboundMessage).where(InboundMessage.survivor_id == sid))
    for identity in identities:
        await session.execute(delete(InboundMessage).where(InboundMessage.identity_id == identity.id))
    # her calls hold her number (and the worker's): gone with her; a call still ringing finds no record and ends
    await session.execute(delete(PhoneCall).where(PhoneCall.survivor_id == sid))
    await session.execute(delete(CallbackRequest).where(CallbackRequest.survivor_id == sid))
    # notices to her say what happened in his programme: gone with her (their escalations stay, as counts)
    hers = select(Notice.id).where(Notice.survivor_id == sid).scalar_subquery()
    await session.execute(delete(NoticeStep).where(NoticeStep.notice_id.in_(hers)))
    await session.execute(delete(Notice).where(Notice.survivor_id == sid))
    await session.execute(delete(Invitation).where(Invitation.survivor_id == sid))
    await session.execute(delete(ConsentRecord).where(ConsentRecord.survivor_id == sid))
    await session.execute(update(Escalation).where(Escalation.survivor_id == sid)
                          .values(note=None, survivor_id=None))
    await session.execute(delete(ChannelIdentity).where(ChannelIdentity.survivor_id == sid))
    await session.delete(survivor)
    session.add(AuditEvent(actor=actor, action="erased", survivor_pseudonym=pseudonym,
                           details={"reason": reason, "provider_deletions": deletions,
                                    "evaluation_answers_kept": keep_answers}))
    return ErasureReport(deletions, keep_answers)
