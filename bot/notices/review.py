"""A worker's review of a notice: edit, approve, the second approval of an urgent notice, withdraw.

Four eyes for urgent notices: a first approval by a liaison worker or supervisor, then a second by
a supervisor who is a different person from the first approver and from whoever last edited the
text. Any edit clears approvals given to the earlier wording: what leaves is what two people read.
Routine notices need one approval (or none, for a site that chose auto-approval). The rules are
pure (`refusal_to_*`); the rest records each step on the timeline and queues the preview.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.notices.delivery import queue_notice
from bot.notices.timeline import SERVICE, add_step
from bot.storage.models import Notice, OutboundMessage, StaffMember

MAX_BODY = 2000  # characters: a long SMS or one Telegram message, with room for the title and lead
REVIEWERS = frozenset({"liaison", "supervisor"})
WITHDRAWABLE = ("draft", "approved", "queued")  # once its preview has left, it is on her phone: ring her


@dataclass(frozen=True)
class Reviewer:
    id: int
    name: str
    roles: frozenset[str]

    @classmethod
    def of(cls, member: StaffMember) -> Reviewer:
        return cls(member.id, member.name, frozenset(member.roles or []))

    @property
    def audit_name(self) -> str:
        return f"staff:{self.id}"


def stage(notice: Notice) -> str:
    """Where a notice stands, for people: its status, or which approval a draft waits for."""
    if notice.status != "draft":
        return notice.status
    if notice.approved_by is None:
        return "awaiting approval"
    return "awaiting second approval"


def refusal_to_edit(notice: Notice, who: Reviewer) -> str | None:
    if not who.roles & REVIEWERS:
        return "Only liaison workers and supervisors edit notices."
    if notice.status != "draft":
        return f"This notice is {notice.status}: its text can no longer change."
    return None


def refusal_to_approve(notice: Notice, who: Reviewer) -> str | None:
    if not who.roles & REVIEWERS:
        return "Only liaison workers and supervisors approve notices."
    if notice.status != "draft":
        return f"This notice is {notice.status} already."
    if notice.approved_by is not None:
        return "This notice has its first approval; it waits for a supervisor's second approval."
    return None


def refusal_to_second_approve(notice: Notice, who: Reviewer) -> str | None:
    """Four eyes: a supervisor, and neither the first approver nor the last editor."""
    if not notice.urgent:
        return "Routine notices need one approval only."
    if notice.status != "draft" or notice.approved_by is None:
        return "A second approval follows a first one." if notice.status == "draft" else \
            f"This notice is {notice.status} already."
    if "supervisor" not in who.roles:
        return "The second approval of an urgent notice is a supervisor's."
    if who.id == notice.approved_by:
        return "You gave the first approval: a different person must give the second."
    if who.id == notice.drafted_by:
        return "You wrote this text: a different person must give the second approval."
    return None


def refusal_to_withdraw(notice: Notice, who: Reviewer) -> str | None:
    if not who.roles & REVIEWERS:
        return "Only liaison workers and supervisors withdraw notices."
    if notice.status not in WITHDRAWABLE:
        return f"This notice is {notice.status}: it can no longer be withdrawn (ring her if it must be corrected)."
    return None


class ReviewRefused(Exception):
    """The rule that refused it, in words for the worker."""


def _check(reason: str | None) -> None:
    if reason is not None:
        raise ReviewRefused(reason)


async def edit(session: AsyncSession, notice: Notice, who: Reviewer, body: str, now: datetime) -> None:
    _check(refusal_to_edit(notice, who))
    text = body.replace("\r\n", "\n").strip()
    if not text:
        raise ReviewRefused("A notice cannot be empty.")
    if len(text) > MAX_BODY:
        raise ReviewRefused(f"Keep the notice under {MAX_BODY} characters (it is {len(text)}).")
    if text == notice.body:
        return
    cleared = notice.approved_by is not None
    notice.body, notice.drafted_by, notice.updated_at = text, who.id, now
    notice.approved_by, notice.approved_at = None, None
    await add_step(session, notice, "edited", who.name, now, audit_as=who.audit_name, approval_cleared=cleared)


async def approve(session: AsyncSession, notice: Notice, who: Reviewer, now: datetime) -> str:
    """The first approval. Routine: it goes (through her windows); urgent: it waits for a second."""
    _check(refusal_to_approve(notice, who))
    notice.approved_by, notice.approved_at, notice.updated_at = who.id, now, now
    await add_step(session, notice, "approved", who.name, now, audit_as=who.audit_name)
    if notice.urgent:
        return "awaiting second approval"
    return await _release(session, notice, now)


async def second_approve(session: AsyncSession, notice: Notice, who: Reviewer, now: datetime) -> str:
    _check(refusal_to_second_approve(notice, who))
    notice.second_approved_by, notice.updated_at = who.id, now
    await add_step(session, notice, "second_approved", who.name, now, audit_as=who.audit_name)
    return await _release(session, notice, now)


async def auto_approve(session: AsyncSession, notice: Notice, now: datetime) -> str:
    """A routine notice of a site that chose auto-approval (LIAISON_NOTICE_AUTO_APPROVE_SITES)."""
    if notice.urgent or notice.status != "draft":
        raise ReviewRefused("Only a routine draft is approved automatically.")
    notice.approved_at, notice.updated_at = now, now
    await add_step(session, notice, "approved", SERVICE, now, automatic=True)
    return await _release(session, notice, now)


async def _release(session: AsyncSession, notice: Notice, now: datetime) -> str:
    notice.status = "approved"
    reason = await queue_notice(session, notice, now)
    return "queued" if reason is None else f"undeliverable ({reason})"


async def withdraw(session: AsyncSession, notice: Notice, who: Reviewer, now: datetime) -> None:
    """Nothing of it reaches her: its waiting preview is cancelled. One whose preview has left (or is
    leaving) is refused: it is on her phone already, and withdrawing it would only look like an undo."""
    _check(refusal_to_withdraw(notice, who))
    if notice.preview_outbound_id is not None:
        cancelled = await session.execute(update(OutboundMessage).where(
            OutboundMessage.id == notice.preview_outbound_id, OutboundMessage.status.in_(("pending", "held")),
        ).values(status="cancelled", last_error="notice_withdrawn", body=None, buttons=None))
        if cancelled.rowcount != 1:  # type: ignore[attr-defined]
            left = await session.scalar(select(OutboundMessage.status).where(
                OutboundMessage.id == notice.preview_outbound_id))
            if left != "cancelled":
                raise ReviewRefused("Its preview has left for her phone already: it can no longer be withdrawn "
                                    "(ring her if it must be corrected).")
    notice.status, notice.updated_at = "withdrawn", now
    await add_step(session, notice, "withdrawn", who.name, now, audit_as=who.audit_name)
