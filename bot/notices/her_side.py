"""Her side of a notice, for the conversation engine (bot/conversation.py): which of her inputs are
about a notice, the notice as the flow may see it, and what her answers do.

She opens a notice with the Read button under its preview, or by replying "1" while the preview is
the latest thing we sent her (after her last turn); "Got it" and "Ring me" answer it. The decisions
are the router's (flows/rules.py, flows/notice.py); here, for the engine: pre-fetching what arrived
last and the notices her input names (hers only), and carrying out the effects: recording `opened` (once),
`acknowledged` or `ring_me` on its timeline, and for "Ring me" a call-back request at her safe
times with an escalation, as the call-back flow's request makes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.registry import capabilities
from bot.escalations import raise_escalation
from bot.logs import log_event
from bot.notices.timeline import HER, add_step, has_step
from bot.storage.models import CallbackRequest, Notice, OutboundMessage, Survivor
from flows.notice import PREVIEW_KEY, parse
from flows.state import FlowState, PinData, data_as, map_number
from flows.types import NoticeAnswered, NoticeView, Unprompted, UserInput

READABLE = ("sent", "acknowledged")
RING_ME = "notice_ring_me"


async def newest_unprompted(session: AsyncSession, survivor_id: int) -> Unprompted | None:
    """The latest message we sent her unprompted (a notice's preview, a survey, a re-check), with
    the notice whose preview it is: the rule (flows.notice.action_of) decides whether it reached
    her after her last turn, and so whether a number she types answers it."""
    row = (await session.execute(
        select(OutboundMessage.id, OutboundMessage.text_key, OutboundMessage.sent_at).where(
            OutboundMessage.survivor_id == survivor_id, OutboundMessage.kind == "send",
            OutboundMessage.is_reply.is_(False), OutboundMessage.status == "sent",
        ).order_by(OutboundMessage.sent_at.desc(), OutboundMessage.id.desc()).limit(1))).first()
    if row is None or row[2] is None:
        return None
    notice_id = None
    if row[1] == PREVIEW_KEY:
        notice_id = await session.scalar(select(Notice.id).where(Notice.preview_outbound_id == row[0]))
    return Unprompted(row[1], row[2], notice_id)


def named_notices(event: UserInput, state: FlowState, unprompted: Unprompted | None) -> set[int]:
    """The notices her input can be about: a notice's button, the preview "1" answers, the options
    shown last, the notice her PIN prompt is for. Only these are looked up."""
    ids = set()
    for value in (event.button, map_number(state, event.text) if event.button is None else None,
                  data_as(state, PinData).then if state.flow == "pin" else None):
        found = parse(value)
        if found is not None:
            ids.add(found[0])
    if unprompted is not None and unprompted.notice_id is not None:
        ids.add(unprompted.notice_id)
    return ids


async def views(session: AsyncSession, survivor_id: int, notice_ids: set[int]) -> dict[int, NoticeView]:
    """The named notices as the flow may see them (hers only)."""
    if not notice_ids:
        return {}
    rows = await session.scalars(select(Notice).where(Notice.id.in_(notice_ids), Notice.survivor_id == survivor_id))
    return {n.id: NoticeView(n.id, n.status in READABLE, n.body, n.response) for n in rows}


async def record_opened(session: AsyncSession, notice_id: int, now: datetime) -> None:
    """She read its text: `opened` on its timeline, once."""
    notice = await session.get(Notice, notice_id)
    if notice is not None and not await has_step(session, notice_id, "opened"):
        await add_step(session, notice, "opened", HER, now)


async def record_answer(session: AsyncSession, survivor: Survivor, answer: NoticeAnswered, channel: str,
                        address: str, now: datetime) -> None:
    """Got it, or Ring me (a call-back request at her safe times, with an escalation)."""
    notice = await session.scalar(select(Notice).where(Notice.id == answer.notice_id).with_for_update())
    if notice is None or notice.response is not None or notice.status not in READABLE:
        return
    notice.response, notice.status, notice.acknowledged_at, notice.updated_at = answer.response, "acknowledged", \
        now, now
    if answer.response == "got_it":
        await add_step(session, notice, "acknowledged", HER, now)
        log_event("notice.acknowledged", notice=notice.id, survivor=survivor.pseudonym)
        return
    esc = await raise_escalation(session, survivor_id=survivor.id, priority="high" if notice.urgent else "routine",
                                 reason=RING_ME, now=now, pseudonym=survivor.pseudonym,
                                 note=f"She asked to be rung about notice #{notice.id} ({notice.kind}).")
    if answer.book_callback:  # this number, at her safe times: both known (flows/notice.py says so)
        session.add(CallbackRequest(survivor_id=survivor.id, escalation_id=esc.id,
                                    phone=address if capabilities(channel).phone_address else None,
                                    windows=list(survivor.contact_windows or []), created_at=now))
    await add_step(session, notice, "ring_me", HER, now, escalation=esc.id)
    log_event("notice.ring_me", notice=notice.id, survivor=survivor.pseudonym)
