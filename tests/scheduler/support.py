"""Helpers for wave tests: a clock the test moves, enrolled survivors made in the database."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from bot.clock import ManualClock
from bot.delivery_events import DELIVERY_EVENTS
from bot.outbox.results import mark_sent
from bot.storage.db import Database
from bot.storage.models import (
    ChannelIdentity,
    ConsentRecord,
    OutboundMessage,
    ProgrammeMilestones,
    Survivor,
    WaveInstance,
)
from safety.crypto import KeyRing
from scheduler.jobs import TickSummary, WaveJobs

WEEKDAYS_10_TO_12 = [{"days": [0, 1, 2, 3, 4], "start": "10:00", "end": "12:00"}]


Clock = ManualClock  # injected into WaveJobs: tests move time, nothing ever waits


async def enrol(db: Database, keyring: KeyRing, *, created_at: datetime, windows: list[dict[str, Any]] | None = None,
                tz: str = "Europe/London", locale: str = "en", country: str = "GB", status: str = "active",
                checkins: bool | None = True, evaluation: bool | None = True, plain: bool = False,
                persona: str | None = "garden", channel: str = "simulator", pseudonym: str | None = None,
                programme: tuple[date, date] | None = None, actual_end: date | None = None,
                outcome: str | None = None, with_identity: bool = True) -> int:
    """An enrolled survivor with one active identity and her consents; optionally milestones."""
    async with db.transaction() as s:
        survivor = Survivor(pseudonym=pseudonym or "ps-" + secrets.token_hex(6), status=status, locale=locale,
                            country=country, timezone=tz, persona=persona, plain_mode=plain,
                            contact_windows=windows if windows is not None else WEEKDAYS_10_TO_12,
                            created_at=created_at, updated_at=created_at, state={})
        s.add(survivor)
        await s.flush()
        if with_identity:
            address = f"sim-{survivor.pseudonym}"
            s.add(ChannelIdentity(survivor_id=survivor.id, channel=channel, address=address,
                                  address_index=keyring.blind_index(channel, address), status="active",
                                  created_at=created_at, verified_at=created_at))
        for kind, granted in (("checkins", checkins), ("evaluation", evaluation)):
            if granted is not None:
                s.add(ConsentRecord(survivor_id=survivor.id, kind=kind, granted=granted, text_version="t1",
                                    channel=channel, recorded_at=created_at))
        if programme is not None:
            s.add(ProgrammeMilestones(survivor_id=survivor.id, enrolled_on=created_at.date(),
                                      programme_start=programme[0], expected_end=programme[1],
                                      actual_end=actual_end, outcome=outcome))
        return survivor.id


async def waves_of(db: Database, survivor_id: int) -> dict[str, WaveInstance]:
    async with db.sessions() as s:
        rows = (await s.scalars(select(WaveInstance).where(WaveInstance.survivor_id == survivor_id))).all()
    return {r.wave_code: r for r in rows}


async def outbox(db: Database, survivor_id: int | None = None) -> list[OutboundMessage]:
    async with db.sessions() as s:
        q = select(OutboundMessage).order_by(OutboundMessage.id)
        if survivor_id is not None:
            q = q.where(OutboundMessage.survivor_id == survivor_id)
        return list((await s.scalars(q)).all())


async def deliver_due(db: Database, now: datetime) -> int:
    """What the dispatcher does with our messages that are due by `now` when the provider accepts
    them (the same `mark_sent`): wave openings become `sent` only then."""
    delivered = 0
    async with db.transaction() as s:
        rows = (await s.scalars(select(OutboundMessage).where(
            OutboundMessage.kind == "send", OutboundMessage.status == "pending",
            OutboundMessage.next_attempt_at <= now).order_by(OutboundMessage.id))).all()
        for row in rows:
            await mark_sent(s, row, f"SM{secrets.token_hex(8)}", now, DELIVERY_EVENTS)
            delivered += 1
    return delivered


class DeliveringJobs(WaveJobs):
    """The wave jobs with a dispatcher beside them: each tick, what is due goes out."""

    async def run_once(self) -> TickSummary:
        summary = await super().run_once()
        await deliver_due(self.db, self.now())
        return summary


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)
