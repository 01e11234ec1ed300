"""On-call alerts: an urgent escalation reaches a person at once, through the outbox.

An alert goes to a staff member's own linked chat and/or on-call number (which channels: asked of
their capabilities, `alert_routes`), as an outbox row of kind `staff_alert` with no survivor and no
identity attached, so her gate, windows and disguise never apply and it can never go to her. Its text
holds no survivor data (escalation numbers, waiting time and who took it). Each escalation alerts each
person once per round (a unique constraint): round 1 at once, round 2 a re-alert when it is still
unclaimed past its SLA, round 3 the supervisors (bot.escalations keeps the clock: re-alerts never move
`due_at`).

Coalescing, on a channel with a per-chat rate limit: Telegram lets a bot send one message a second to
a chat, so five alerts raised at once used to reach a worker at 0.3, 1.3 ... 4.3 s. An alert for a
chat that already has one waiting in the outbox joins that message instead ("3 urgent — oldest 40 s"):
the row is recomposed from its alerts and goes out on the chat's next turn, so no alert waits behind
another. SMS has no per-number limit, so its alerts go one by one as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.base import Button
from bot.channels.registry import capabilities, names
from bot.logs import log_event
from bot.outbox.enqueue import enqueue, note_chat
from bot.outbox.lanes import URGENT
from bot.storage.db import session_keyring, session_policies
from bot.storage.models import Escalation, OnCallShift, OutboundMessage, StaffAlert, StaffMember
from flows.capabilities import ChannelCapabilities

KIND = "staff_alert"
ROUND_ONCALL, ROUND_REALERT, ROUND_SUPERVISOR = 1, 2, 3
CLAIM_PREFIX = "staff:claim:"  # the "I'm on it" button's payload, followed by the escalation id
MAX_BUTTONS = 8  # more waiting than that: the console has them all


def alert_routes(member: StaffMember) -> list[tuple[str, ChannelCapabilities, str]]:
    """Where this person's alerts go, asked of each channel's capabilities, never its name: their
    chat linked with a one-time code on a channel that has deep links (bot/oncall/telegram_link.py),
    then their on-call number on a channel whose address is a phone number. Chats first: the quicker."""
    chats, phones = [], []
    for name in names():
        caps = capabilities(name)
        if caps.deep_link and member.telegram_chat:
            chats.append((name, caps, member.telegram_chat))
        elif caps.phone_address and member.sms_number:
            phones.append((name, caps, member.sms_number))
    return chats + phones


def coalesces(caps: ChannelCapabilities) -> bool:
    """A per-chat rate limit makes alerts for one chat queue behind each other: they join one message."""
    return caps.provider_chat_rate is not None


def editable_channels() -> list[str]:
    """Channels where an alert already on a phone can be changed to say who took it."""
    return [name for name in names() if capabilities(name).edits]


@dataclass(frozen=True)
class AlertItem:
    """One escalation in one alert message, as the worker's phone should show it now."""

    escalation_id: int
    again: bool  # a re-alert (round 2 or 3)
    raised_at: datetime
    taken_by: str | None  # the holder's name once someone has it


def alert_text(escalation_id: int, again: bool = False) -> str:
    """No survivor data: only the number of the alert and where to look."""
    return f"{'Reminder: u' if again else 'U'}rgent alert #{escalation_id} \u2014 open the console"


def waited(seconds: float) -> str:
    return f"{int(seconds)} s" if seconds < 120 else f"{int(seconds // 60)} min"


def compose(items: list[AlertItem], now: datetime) -> tuple[str, tuple[Button, ...]]:
    """The text and "I'm on it" buttons of one alert message holding one or more escalations."""
    if len(items) == 1:
        item = items[0]
        if item.taken_by is None:
            return alert_text(item.escalation_id, item.again), (Button(f"{CLAIM_PREFIX}{item.escalation_id}",
                                                                       "I'm on it"),)
        return f"Urgent alert #{item.escalation_id} \u2014 taken by {item.taken_by}", ()
    open_ = [i for i in items if i.taken_by is None]
    oldest = max((now - i.raised_at).total_seconds() for i in (open_ or items))
    parts = [f"#{i.escalation_id}" + (f" taken by {i.taken_by}" if i.taken_by else " (reminder)" if i.again else "")
             for i in items]
    head = f"{len(open_)} urgent \u2014 oldest {waited(max(oldest, 0))}" if open_ else "All taken"
    text = f"{head}: {', '.join(parts)} \u2014 open the console"
    buttons = tuple(Button(f"{CLAIM_PREFIX}{i.escalation_id}", f"I'm on it #{i.escalation_id}")
                    for i in open_[:MAX_BUTTONS])
    return text, buttons


async def items_of(session: AsyncSession, outbound_id: int) -> list[AlertItem]:
    """The escalations one alert message carries, oldest first, with who holds each."""
    rows = (await session.execute(
        select(StaffAlert.escalation_id, StaffAlert.round, Escalation.created_at, Escalation.status,
               StaffMember.name)
        .join(Escalation, Escalation.id == StaffAlert.escalation_id)
        .outerjoin(StaffMember, StaffMember.id == Escalation.holder_id)
        .where(StaffAlert.outbound_id == outbound_id).order_by(StaffAlert.escalation_id)
    )).all()
    items: dict[int, AlertItem] = {}
    for esc_id, round_, raised_at, status, holder in rows:
        taken = holder or ("nobody (closed)" if status == "closed" else None)
        items[esc_id] = AlertItem(esc_id, round_ > ROUND_ONCALL or esc_id in items and items[esc_id].again,
                                  raised_at, taken)
    return list(items.values())


async def recompose(session: AsyncSession, row: OutboundMessage, now: datetime) -> None:
    row.body, buttons = compose(await items_of(session, row.id), now)
    row.buttons = [[b.payload, b.label] for b in buttons]


def has_role(member: StaffMember, role: str) -> bool:
    return role in (member.roles or [])


async def on_call(session: AsyncSession, now: datetime) -> list[StaffMember]:
    """Who the rota says is on call now; with nobody on call, every active liaison worker."""
    rows = (await session.scalars(
        select(StaffMember).join(OnCallShift, OnCallShift.staff_id == StaffMember.id)
        .where(OnCallShift.starts_at <= now, OnCallShift.ends_at > now, StaffMember.status == "active")
        .order_by(StaffMember.id)
    )).unique().all()
    if rows:
        return list(rows)
    everyone = (await session.scalars(select(StaffMember).where(StaffMember.status == "active")
                                      .order_by(StaffMember.id))).all()
    return [m for m in everyone if has_role(m, "liaison")]


async def supervisors(session: AsyncSession) -> list[StaffMember]:
    everyone = (await session.scalars(select(StaffMember).where(StaffMember.status == "active")
                                      .order_by(StaffMember.id))).all()
    return [m for m in everyone if has_role(m, "supervisor")]


async def take_turn(session: AsyncSession, member: StaffMember) -> None:
    """Alerts for one person are composed one transaction at a time (a row lock on their record,
    held to commit; SQLite has one writer anyway): two danger texts at once would otherwise each
    miss the other's uncommitted alert and queue two messages a second apart."""
    await session.execute(select(StaffMember.id).where(StaffMember.id == member.id).with_for_update(key_share=True))


async def waiting_alert(session: AsyncSession, channel: str, address_index: str) -> OutboundMessage | None:
    """This chat's alert message still waiting in the outbox (not yet claimed by the dispatcher),
    locked so that the dispatcher's claim, or another alert joining it, waits for this transaction."""
    return await session.scalar(select(OutboundMessage).where(
        OutboundMessage.kind == KIND, OutboundMessage.channel == channel,
        OutboundMessage.recipient_index == address_index, OutboundMessage.status == "pending",
        OutboundMessage.edit_of_id.is_(None),
    ).order_by(OutboundMessage.id.desc()).limit(1).with_for_update())


async def send_alerts(session: AsyncSession, esc: Escalation, members: list[StaffMember], round_: int,
                      now: datetime) -> int:
    """Queue one alert per person and route for this round (joining a Telegram alert still waiting
    for that chat); returns how many were queued or joined."""
    ring = session_keyring(session)
    queued = 0
    for member in members:
        routes = alert_routes(member)
        if any(coalesces(caps) for _name, caps, _address in routes):
            await take_turn(session, member)
        seen = await session.scalar(select(StaffAlert.id).where(
            StaffAlert.escalation_id == esc.id, StaffAlert.staff_id == member.id, StaffAlert.round == round_))
        if seen is not None:
            continue
        first_id: int | None = None
        used = "console"
        joined: OutboundMessage | None = None
        for channel, caps, address in routes:
            index = ring.blind_index(channel, address)
            row = await waiting_alert(session, channel, index) if coalesces(caps) else None
            if row is not None:
                joined = row
                note_chat(session, (channel, index), URGENT)  # its sender starts at commit, first in line
            else:
                text = alert_text(esc.id, again=round_ > ROUND_ONCALL)
                buttons = (Button(f"{CLAIM_PREFIX}{esc.id}", "I'm on it"),) if caps.inline_buttons else ()
                row = enqueue(session, channel=channel, address=address, address_index=index,
                              cause=f"staff-alert:{esc.id}:{member.id}:{round_}:{channel}", index=0,
                              text_key="staff.alert", body=text, buttons=buttons, urgent=True, is_reply=False)
                row.kind = KIND
                row.next_attempt_at = now
            await session.flush()
            first_id, used = first_id or row.id, channel if used == "console" else used
            queued += 1
        session.add(StaffAlert(escalation_id=esc.id, staff_id=member.id, round=round_, channel=used,
                               outbound_id=first_id, created_at=now))
        if joined is not None:
            await session.flush()
            await recompose(session, joined, now)
    log_event("staff.alerted", escalation=esc.id, round=round_, people=len(members), queued=queued)
    return queued


async def show_taken(session: AsyncSession, escalation_id: int, now: datetime) -> int:
    """Someone took this escalation: every alert message that carries it says who, and loses its
    button. One still waiting is recomposed; one already on a phone is edited (an outbox row of
    kind `staff_alert` with `edit_of_id`, sent in its chat's order). Returns the edits queued."""
    ring = session_keyring(session)
    ids = select(StaffAlert.outbound_id).where(StaffAlert.escalation_id == escalation_id).distinct()
    # locked one by one in id order (two claims at once wait for each other, never deadlock), and
    # re-read, so each edit shows every claim committed before it
    rows = (await session.scalars(select(OutboundMessage).where(
        OutboundMessage.id.in_(ids), OutboundMessage.channel.in_(editable_channels())).order_by(OutboundMessage.id)
        .with_for_update().execution_options(populate_existing=True))).all()
    edits = 0
    for row in rows:
        if row.status == "pending" and row.edit_of_id is None:
            await recompose(session, row, now)  # still waiting: it goes out saying who took it
            continue
        if row.status == "cancelled" or not row.address:
            continue
        text, buttons = compose(await items_of(session, row.id), now)
        edit = enqueue(session, channel=row.channel, address=row.address,
                       address_index=ring.blind_index(row.channel, row.address),
                       cause=f"staff-alert-taken:{escalation_id}:{row.id}", index=0, text_key="staff.alert_taken",
                       body=text, buttons=buttons, urgent=True, is_reply=False)
        edit.kind, edit.edit_of_id, edit.next_attempt_at = KIND, row.id, now
        edits += 1
    log_event("staff.alert_taken", escalation=escalation_id, edits=edits)
    return edits


async def alert_on_call(session: AsyncSession, esc: Escalation, now: datetime) -> int:
    esc.alert_round, esc.alerted_at = ROUND_ONCALL, now
    return await send_alerts(session, esc, await on_call(session, now), ROUND_ONCALL, now)


async def escalate_overdue(session: AsyncSession, now: datetime) -> int:
    """Unclaimed past the SLA: urgent ones re-alert the on-call staff, then (one SLA period after
    the re-alert) the supervisors; others go to the supervisors. A re-alert changes who is told,
    never the clock: `due_at` stays where raising the escalation put it. Each round is claimed by a
    conditional UPDATE (one tick wins)."""
    overdue = (await session.scalars(select(Escalation).where(
        Escalation.status == "open", Escalation.holder_id.is_(None), Escalation.due_at <= now,
        Escalation.alert_round < ROUND_SUPERVISOR,
    ).order_by(Escalation.id))).all()
    period = session_policies(session).sla.urgent
    queued = 0
    for esc in overdue:
        if esc.alert_round >= ROUND_REALERT and esc.alerted_at is not None and esc.alerted_at + period > now:
            continue  # re-alerted: the supervisors are told one SLA period later
        nxt = ROUND_REALERT if esc.priority == "urgent" and esc.alert_round < ROUND_REALERT else ROUND_SUPERVISOR
        claimed = await session.execute(
            update(Escalation).where(Escalation.id == esc.id, Escalation.alert_round == esc.alert_round,
                                     Escalation.holder_id.is_(None))
            .values(alert_round=nxt, alerted_at=now)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue
        members = await on_call(session, now) if nxt == ROUND_REALERT else await supervisors(session)
        queued += await send_alerts(session, esc, members, nxt, now)
    return queued
