"""The record of a "Call her now": starting one (one conditional claim, audited), what each of Twilio's
requests changes, and the end (outcome, durations, the call-back's next step, audited). Functions of
a session and `now`; the caller owns the transaction."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import next_slots
from bot.storage.audit import audit
from bot.storage.models import CallbackRequest, ChannelIdentity, PhoneCall, StaffMember, Survivor
from flows.flow_state import load_state
from flows.phone_call import (
    OUTCOME_LABELS,
    final_outcome,
    her_key,
    is_machine,
    next_step,
    outcome_of_key,
    outcome_of_unanswered,
)
from safety.statuses import PhoneCallOutcome
from safety.windows import DEFAULT_WINDOWS_JSON, is_open

E164 = re.compile(r"\+[1-9]\d{6,14}")
# a number she typed in national form ("07700 900123") is dialled with her country's calling code
CALLING_CODES = {"GB": "44", "IE": "353", "DE": "49", "AT": "43", "CH": "41"}


def dialable(number: str | None, country: str | None) -> str | None:
    """Her number as Twilio dials it (E.164), or None when it cannot be made one."""
    compact = re.sub(r"[\s\-().]", "", number or "")
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    elif re.fullmatch(r"0[1-9]\d{5,13}", compact) and (country or "").upper() in CALLING_CODES:
        compact = f"+{CALLING_CODES[(country or '').upper()]}{compact[1:]}"
    return compact if E164.fullmatch(compact) else None


FINAL = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})


@dataclass(frozen=True)
class Target:
    """Who is rung and when it is safe: her number, her windows and zone, the call-back it serves."""

    number: str | None
    windows: Any
    timezone: str
    callback: CallbackRequest | None

    def open_now(self, now: datetime) -> bool:
        return is_open(self.windows or None, self.timezone, now)


async def target_of(s: AsyncSession, survivor: Survivor, callback: CallbackRequest | None = None) -> Target:
    """Her number for a call: the call-back's, else an active route whose address is a phone number
    (asked of the address, not of the channel's name). Her windows: the call-back's, else hers."""
    if callback is None:
        callback = await s.scalar(select(CallbackRequest).where(
            CallbackRequest.survivor_id == survivor.id, CallbackRequest.status == "open")
            .order_by(CallbackRequest.created_at.desc(), CallbackRequest.id.desc()).limit(1))
    number = dialable(callback.phone, survivor.country) if callback is not None else None
    if number is None:
        for address in (await s.scalars(select(ChannelIdentity.address).where(
                ChannelIdentity.survivor_id == survivor.id, ChannelIdentity.status == "active")
                .order_by(ChannelIdentity.id.desc()))).all():
            if E164.fullmatch(address or ""):
                number = address
                break
    windows = (callback.windows if callback is not None and callback.windows else None) or survivor.contact_windows
    return Target(number, windows or None, survivor.timezone, callback)


async def active_call(s: AsyncSession, survivor_id: int) -> PhoneCall | None:
    return await s.scalar(select(PhoneCall).where(PhoneCall.active_survivor_id == survivor_id))


async def claim_call(s: AsyncSession, *, survivor: Survivor, member: StaffMember, target: Target, reason: str,
                     outside_reason: str | None, now: datetime) -> PhoneCall | None:
    """Insert the call holding her (the unique `active_survivor_id`): of two workers at once, one insert
    wins and the other gets None. Audited in the same transaction."""
    call = PhoneCall(token=secrets.token_hex(16), survivor_id=survivor.id, active_survivor_id=survivor.id,
                     callback_id=target.callback.id if target.callback is not None else None, staff_id=member.id,
                     worker_number=member.call_number, her_number=target.number, reason=reason,
                     outside_windows_reason=outside_reason, stage="ringing_worker", started_at=now)
    try:
        async with s.begin_nested():
            s.add(call)
    except IntegrityError:
        return None
    details: dict[str, Any] = {"call_id": call.id, "callback_id": call.callback_id}
    if outside_reason:
        details["outside_windows_reason"] = outside_reason[:200]
    audit(s, f"staff:{member.id}", "call.started_outside_windows" if outside_reason else "call.started",
          survivor=survivor.pseudonym, now=now, **details)
    return call


async def call_by_token(s: AsyncSession, token: str) -> PhoneCall | None:
    return await s.scalar(select(PhoneCall).where(PhoneCall.token == token).with_for_update())


async def whisper_facts(s: AsyncSession, call: PhoneCall) -> tuple[str | None, str, str | None, str]:
    """(display name, pseudonym, safe word, reason) for the worker's whisper."""
    survivor = await s.get(Survivor, call.survivor_id) if call.survivor_id else None
    if survivor is None:
        return None, "her", None, call.reason or ""
    return survivor.display_name, survivor.pseudonym, load_state(survivor.state).exit_word, call.reason or ""


def worker_answered(call: PhoneCall) -> None:
    if call.stage == "ringing_worker":
        call.stage = "ringing_her"


def her_answered(call: PhoneCall, answered_by: str | None, sid: str | None) -> bool:
    """Her leg was answered; returns whether it may hear the check (False: a machine)."""
    call.her_call_sid = call.her_call_sid or sid
    if is_machine(answered_by):
        call.outcome = call.outcome or "machine"
        return False
    call.stage = "asking"
    return True


def her_pressed(call: PhoneCall, digits: str | None) -> bool:
    """Her key press; returns whether it bridges (only "1"). The digit itself is never stored."""
    key = her_key(digits)
    call.her_key = key
    call.outcome = outcome_of_key(key)
    if key == "confirmed":
        call.stage = "bridged"
        return True
    return False


def dial_ended(call: PhoneCall, dial_status: str) -> None:
    """The <Dial> to her ended: a status that says she never answered settles the outcome."""
    if call.outcome is None:
        call.outcome = outcome_of_unanswered(dial_status)


async def leg_status(s: AsyncSession, call: PhoneCall, leg: str, status: str, duration: str | None,
                     answered_by: str | None, sid: str | None, now: datetime) -> None:
    """One signed status callback for one leg. Her leg's end settles an outcome not yet known; the
    worker's leg's end (always the last) ends the call."""
    seconds = int(duration) if duration and duration.isdigit() else None
    if leg == "her":
        call.her_call_sid = call.her_call_sid or sid
        if is_machine(answered_by) and call.outcome is None:
            call.outcome = "machine"
        if status in FINAL:
            call.her_seconds = seconds if seconds is not None else call.her_seconds
            if call.outcome is None and status != "completed":
                call.outcome = outcome_of_unanswered(status)
        return
    if status in FINAL:
        call.worker_seconds = seconds if seconds is not None else call.worker_seconds
        if call.ended_at is None:
            await finish(s, call, status, now)


async def finish(s: AsyncSession, call: PhoneCall, worker_status: str, now: datetime,
                 outcome: PhoneCallOutcome | None = None) -> None:
    """The call is over: its outcome, her released, the call-back's next step, one audit row."""
    recorded: PhoneCallOutcome | None = outcome or call.outcome  # type: ignore[assignment]
    call.outcome = final_outcome(recorded, None, worker_status, call.stage != "ringing_worker",
                                 her_answered=call.stage == "asking")
    call.stage, call.ended_at, call.active_survivor_id = "ended", now, None
    step = next_step(call.outcome)  # type: ignore[arg-type]
    next_try = None
    if call.callback_id is not None:
        cb = await s.get(CallbackRequest, call.callback_id)
        survivor = await s.get(Survivor, call.survivor_id) if call.survivor_id else None
        if cb is not None and cb.status == "open":
            if step.close:
                cb.status, cb.outcome, cb.next_try_at = "closed", "done", None
            elif step.retry and survivor is not None:
                windows = cb.windows or survivor.contact_windows or DEFAULT_WINDOWS_JSON
                later = [sl for sl in next_slots(list(windows), survivor.timezone, now) if sl.start > now]
                next_try = later[0].start if later else None
                cb.outcome, cb.next_try_at = f"call_{call.outcome}", next_try
            else:
                cb.outcome, cb.next_try_at = "call_not_confirmed", None
    pseudonym = await s.scalar(select(Survivor.pseudonym).where(Survivor.id == call.survivor_id)) \
        if call.survivor_id else None
    audit(s, f"staff:{call.staff_id}" if call.staff_id else "service", "call.ended", survivor=pseudonym, now=now,
          call_id=call.id, outcome=call.outcome, her_key=call.her_key, worker_seconds=call.worker_seconds,
          her_seconds=call.her_seconds, next_step=step.label,
          next_try_at=next_try.isoformat() if next_try else None)


def describe(call: PhoneCall) -> dict[str, Any]:
    """A call as her page and the call-backs page show it (no number)."""
    outcome = OUTCOME_LABELS.get(call.outcome) if call.outcome else None  # type: ignore[call-overload]
    return {"id": call.id, "started_at": call.started_at, "stage": call.stage, "outcome": outcome,
            "outcome_code": call.outcome, "her_key": call.her_key, "worker_seconds": call.worker_seconds,
            "her_seconds": call.her_seconds, "in_progress": call.ended_at is None,
            "outside_windows": bool(call.outside_windows_reason),
            "next_step": next_step(call.outcome).label if call.outcome else None}  # type: ignore[arg-type]
