"""Her side of a notice, for the conversation engine (bot/conversation.py): which of her inputs are
about a notice, the notice as the flow may see it, and what her answers do.

She opens a notice with the Read button under its preview, or by replying "1" while the preview is
the latest thing we sent her (after her last turn); "Got it" and "Ring me" answer it. The decisions
are flows/notice.py's; here: looking the notice up (hers only), recording `opened` (once),
`acknowledged` or `ring_me` on its timeline, and for "Ring me" a call-back request at her safe
times with an escalation, as the call-back flow's request makes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.escalations import raise_escalation
from bot.logs import log_event
from bot.notices.timeline import HER, add_step, has_step
from bot.storage.models import CallbackRequest, Notice, OutboundMessage, Survivor
from flows.notice import PREVIEW_KEY, NoticeAnswered, NoticeOpened, NoticeView, parse, step
from flows.state import map_number, parse_time
from flows.types import Context, FlowResult, UserInput

READABLE = ("sent", "acknowledged")
RING_ME = "notice_ring_me"


async def newest_unprompted(session: AsyncSession, survivor_id: int,
                            state: dict[str, Any]) -> tuple[int, str] | None:
    """(outbox id, text key) of the latest message we sent her unprompted (a notice's preview, a
    survey, a re-check), if it reached her after her last turn in the conversation: then a number
    she types answers it, not the options an older reply showed."""
    row = (await session.execute(
        select(OutboundMessage.id, OutboundMessage.text_key, OutboundMessage.sent_at).where(
            OutboundMessage.survivor_id == survivor_id, OutboundMessage.kind == "send",
            OutboundMessage.is_reply.is_(False), OutboundMessage.status == "sent",
        ).order_by(OutboundMessage.sent_at.desc(), OutboundMessage.id.desc()).limit(1))).first()
    if row is None or row[2] is None:
        return None
    touched = parse_time(state.get("touched"))
    if touched is not None and touched.tzinfo is not None and touched > row[2]:
        return None
    return row[0], row[1]


async def notice_action(session: AsyncSession, survivor_id: int, event: UserInput,
                        state: dict[str, Any]) -> tuple[int, str] | None:
    """(notice id, action) when this input is about a notice of hers, else None: a notice's button;
    "1" when its preview is the newest thing on her screen; a number for the options under it."""
    if event.button is not None:
        return parse(event.button)
    number = (event.text or "").strip().rstrip(".)")
    if not number.isdigit():
        return None  # words are never a notice's answer (and cost no look-up)
    newest = await newest_unprompted(session, survivor_id, state)
    if newest is not None:  # a number answers what arrived last, whatever the menu showed before
        if newest[1] != PREVIEW_KEY or number != "1":
            return None
        opened = await session.scalar(select(Notice.id).where(Notice.preview_outbound_id == newest[0]))
        return (opened, "open") if opened is not None else None
    return parse(map_number(state, event.text))


async def view(session: AsyncSession, survivor_id: int, notice_id: int) -> NoticeView | None:
    notice = await session.scalar(select(Notice).where(Notice.id == notice_id, Notice.survivor_id == survivor_id))
    if notice is None:
        return None
    return NoticeView(notice.id, notice.status in READABLE, notice.body, notice.response)


async def handle_notice(session: AsyncSession, survivor: Survivor, event: UserInput, state: dict[str, Any],
                        ctx: Context, *, address: str, now: datetime,
                        action: tuple[int, str] | None = None) -> FlowResult | None:
    """Her input about a notice: the flow's answer, its effects carried out (the result carries no
    effects back). None when the input is not about a notice. `address`: the route she wrote from."""
    found = action or await notice_action(session, survivor.id, event, state)
    if found is None:
        return None
    notice_id, what = found
    res = step(what, await view(session, survivor.id, notice_id), state, ctx)
    for effect in res.effects:
        if isinstance(effect, NoticeOpened):
            await _opened(session, effect.notice_id, now)
        elif isinstance(effect, NoticeAnswered):
            await _answered(session, survivor, effect, ctx.channel, address, now)
        else:
            raise TypeError(f"unknown notice effect {type(effect).__name__}")
    return FlowResult(res.state, res.says, [])


async def _opened(session: AsyncSession, notice_id: int, now: datetime) -> None:
    notice = await session.get(Notice, notice_id)
    if notice is not None and not await has_step(session, notice_id, "opened"):
        await add_step(session, notice, "opened", HER, now)


async def _answered(session: AsyncSession, survivor: Survivor, answer: NoticeAnswered, channel: str,
                    address: str, now: datetime) -> None:
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
    session.add(CallbackRequest(survivor_id=survivor.id, escalation_id=esc.id,
                                phone=address if channel == "sms" else None,
                                windows=list(survivor.contact_windows or []), created_at=now))
    await add_step(session, notice, "ring_me", HER, now, escalation=esc.id)
    log_event("notice.ring_me", notice=notice.id, survivor=survivor.pseudonym)
