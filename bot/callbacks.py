"""Open call-back requests for the liaison team (`liaison callbacks list`).

Her safe times are weekly windows in her own time zone; a worker needs concrete times in theirs,
so the next occurrences are listed, converted (daylight saving on either side included).
Identifying data (the number to ring) is shown only on request, and every such read is audited
before anything is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import AuditEvent, CallbackRequest, Survivor
from flows.windows import valid

LOOKAHEAD_DAYS = 7


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime


@dataclass(frozen=True)
class OpenCallback:
    id: int
    pseudonym: str
    requested_at: datetime
    slots: list[Slot]
    phone: str | None  # only when identifying data was asked for (and audited)


def _clock(value: str) -> time:
    if value == "24:00":
        return time(23, 59, 59)
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def next_slots(windows: list[dict[str, Any]], her_tz: str, now: datetime, days: int = LOOKAHEAD_DAYS) -> list[Slot]:
    """Concrete intervals of her weekly windows from `now` on, as aware datetimes in her zone."""
    zone = ZoneInfo(her_tz)
    today = now.astimezone(zone).date()
    slots: list[Slot] = []
    for offset in range(days + 1):
        day = today + timedelta(days=offset)
        for w in windows:
            if not valid(w) or day.weekday() not in w["days"]:
                continue
            start = datetime.combine(day, _clock(w["start"]), zone)
            end = datetime.combine(day, _clock(w["end"]), zone)
            if end <= start:
                end += timedelta(days=1)  # runs past midnight
            if end > now:
                slots.append(Slot(start, end))
    return sorted(slots, key=lambda s: s.start)


async def open_callbacks(session: AsyncSession, now: datetime, *, show_identifying: bool = False,
                         actor: str = "") -> list[OpenCallback]:
    """Open requests, oldest first. With show_identifying, one AuditEvent per request is written
    in this transaction (so a read that is shown is always a read that was recorded)."""
    rows = (await session.execute(
        select(CallbackRequest, Survivor)
        .join(Survivor, Survivor.id == CallbackRequest.survivor_id)
        .where(CallbackRequest.status == "open", Survivor.status != "erased")
        .order_by(CallbackRequest.created_at, CallbackRequest.id)
    )).all()
    out: list[OpenCallback] = []
    for request, survivor in rows:
        phone = None
        if show_identifying:
            if not actor:
                raise ValueError("an actor is required to read identifying data")
            session.add(AuditEvent(actor=actor[:64], action="callbacks.show_identifying",
                                   survivor_pseudonym=survivor.pseudonym,
                                   details={"callback_request_id": request.id}, at=now))
            phone = request.phone
        out.append(OpenCallback(request.id, survivor.pseudonym, request.created_at,
                                next_slots(list(request.windows or []), survivor.timezone, now), phone))
    return out


def format_slot(slot: Slot, tz: ZoneInfo) -> str:
    start, end = slot.start.astimezone(tz), slot.end.astimezone(tz)
    same_day = start.date() == end.date()
    return f"{start:%a %d %b %H:%M}–{end:%H:%M}" if same_day else f"{start:%a %d %b %H:%M}–{end:%a %H:%M}"
