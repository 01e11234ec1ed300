"""The inbound path: persist (de-duplicated by provider id) and process, then acknowledge.

The delivery is stored and processed in one transaction, so a commit is the only acknowledgement:
nothing is acknowledged before it is stored. If processing fails, that transaction is rolled back
and the delivery is stored alone, unprocessed, for `process_pending` to pick up again (and if the
process dies first, nothing was acknowledged: the provider delivers it again). One transaction
instead of two (store, then claim, re-read and process) halves the commits and round trips of
every message. A replayed delivery hits the unique constraint and is acknowledged without being
processed twice.

Under saturation (more deliveries than the process can take) a process works on INBOUND_AT_ONCE
deliveries at a time, two places kept for danger and quick exit, and the others wait for a turn in
memory, danger and quick exit first. Every delivery holding a connection of the database's pool
while it waited (for the CPU, for a slow classifier) queued a danger text behind all the others
(seconds at 200 msg/s), kept no connection for the dispatcher's sends, and let the longest waits
fail at the pool's 30 s time-out. And while a danger text or quick exit is being handled, no
ordinary delivery starts (bot.outbox.urgent_first): on a saturated loop her text's every statement
waited a lap behind theirs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot.channels.base import InboundEvent
from bot.channels.text_guard import checked
from bot.conversation import Interpreter, danger_in, handle_inbound
from bot.logs import log_event
from bot.outbox.enqueue import queued_chats
from bot.outbox.lanes import REPLY, URGENT
from bot.outbox.ratelimit import PriorityLock
from bot.outbox.urgent_first import UrgentFirst
from bot.storage.db import Database
from bot.storage.models import InboundMessage
from flows.keywords import keyword
from safety.crypto import KeyRing
from safety.pin import PinHasher

# deliveries one process stores and processes at once: fewer than its database pool holds
# (bot.storage.db: 12, and 12 more for bursts), so the dispatcher always finds a connection to send
# with; more at once buys no throughput on a busy machine (each waits for the CPU instead)
INBOUND_AT_ONCE = 8
# of which this many are kept for danger and quick exit: a slow classifier (a Rasa server that hangs)
# or a flood of ordinary messages never holds every place
KEPT_FOR_URGENT = 2
URGENT_WORDS = ("exit", "numbers")  # quick exit and the emergency numbers, from any state


def admission_lane(event: InboundEvent) -> int:
    """Which deliveries go first when more arrive than the process can take at once: a text the
    danger net catches (in any locale we hold: hers is not known yet) and quick exit, then the rest."""
    if event.button is not None and event.button.endswith(":exit"):
        return URGENT
    if keyword(event.text) in URGENT_WORDS or danger_in(event.text, "en"):
        return URGENT
    return REPLY


@dataclass(frozen=True)
class Accepted:
    inbound_id: int | None
    duplicate: bool
    processed: bool
    notice: str | None = None  # a short answer for her button ("already done"), shown by the channel
    spent: bool = False  # the keyboard she pressed has done its job: the channel takes it away
    keep_keyboard: bool = False  # a notice that leaves the keyboard (a staff alert edits its own)


class InboundPipeline:
    def __init__(self, db: Database, keyring: KeyRing,
                 on_outbox: Callable[[Collection[tuple[str, str]]], None] | None = None,
                 clock: Callable[[], datetime] | None = None, *, pin_hasher: PinHasher,
                 urgent_first: UrgentFirst | None = None) -> None:
        """`on_outbox(chats)` hears, after each commit, which chats got messages queued; `urgent_first`
        is shared with the dispatcher, whose urgent sends ordinary deliveries wait for too."""
        self.db = db
        self.keyring = keyring
        self.pin_hasher = pin_hasher
        # the NLU, set by the service once it has started (before then free text gets "didn't get that")
        self.interpreter: Interpreter | None = None
        self.on_outbox = on_outbox or (lambda _chats: None)
        self.now = clock or (lambda: datetime.now(UTC))
        self._admission = PriorityLock(INBOUND_AT_ONCE)
        self._ordinary = PriorityLock(INBOUND_AT_ONCE - KEPT_FOR_URGENT)
        self.urgent_first = urgent_first or UrgentFirst()

    async def accept(self, event: InboundEvent) -> Accepted:
        """Persist and process one delivery; safe to call again with the same provider id.
        Raises `InvalidInbound` (answer 4xx, nothing stored) for a malformed identifier; text a
        database cannot hold is stored repaired and marked (bot.channels.text_guard)."""
        event, repaired = checked(event)
        lane = admission_lane(event)
        if lane == URGENT:
            with self.urgent_first.hold():
                async with self._admission(lane):
                    return await self._accept(event, repaired)
        async with self._ordinary(lane):
            await self.urgent_first.ordinary_turn()
            async with self._admission(lane):
                return await self._accept(event, repaired)

    async def _accept(self, event: InboundEvent, repaired: bool) -> Accepted:
        if repaired:
            log_event("inbound.text_repaired", channel=event.channel)
        stored: int | None = None
        try:
            async with self.db.transaction() as s:
                row = self._row(event, repaired)
                row.processed_at = self.now()  # new and not yet committed: no one else can claim it
                s.add(row)
                await s.flush()
                stored = row.id
                result = await handle_inbound(s, self.keyring, event, row, self.now(), pin_hasher=self.pin_hasher,
                                              interpreter=self.interpreter)
                chats = queued_chats(s)
        except IntegrityError:
            if stored is None:  # the insert itself: this delivery was stored before
                log_event("inbound.duplicate", channel=event.channel)
                return Accepted(None, duplicate=True, processed=False)
            log_event("inbound.processing_failed", logging.ERROR, id=stored, exc_info=True)
            return await self._store_unprocessed(event, repaired)
        except Exception:
            if stored is None:
                raise  # not stored: no acknowledgement, the provider delivers it again
            log_event("inbound.processing_failed", logging.ERROR, id=stored, exc_info=True)
            return await self._store_unprocessed(event, repaired)
        log_event("inbound.processed", id=stored, channel=event.channel, replies=len(result.says))
        self.on_outbox(chats)
        return Accepted(stored, duplicate=False, processed=True, notice=result.notice,
                        spent=result.spent, keep_keyboard=result.keep_keyboard)

    def _row(self, event: InboundEvent, repaired: bool) -> InboundMessage:
        return InboundMessage(
            channel=event.channel, provider_id=event.provider_id, sender=event.address,
            body=event.text, button=event.button, provider_message_id=event.provider_message_id,
            received_at=event.received_at, text_repaired=repaired,
        )

    async def _store_unprocessed(self, event: InboundEvent, repaired: bool) -> Accepted:
        """Processing failed and was rolled back: keep the delivery, unprocessed, to be tried again."""
        try:
            async with self.db.transaction() as s:
                row = self._row(event, repaired)
                s.add(row)
                await s.flush()
                inbound_id = row.id
        except IntegrityError:  # a replay stored it meanwhile
            log_event("inbound.duplicate", channel=event.channel)
            return Accepted(None, duplicate=True, processed=False)
        return Accepted(inbound_id, duplicate=False, processed=False)

    async def process(self, inbound_id: int) -> bool:
        """Process one persisted delivery exactly once (claimed by a conditional update)."""
        return (await self._process(inbound_id))[0]

    async def _process(self, inbound_id: int) -> tuple[bool, str | None]:
        try:
            async with self.db.transaction() as s:
                claimed = await s.execute(
                    update(InboundMessage)
                    .where(InboundMessage.id == inbound_id, InboundMessage.processed_at.is_(None))
                    .values(processed_at=self.now())
                )
                if claimed.rowcount != 1:  # type: ignore[attr-defined]
                    return False, None
                row = await s.get(InboundMessage, inbound_id)
                assert row is not None
                event = InboundEvent(
                    channel=row.channel, provider_id=row.provider_id, address=row.sender,
                    received_at=row.received_at, text=row.body, button=row.button,
                    provider_message_id=row.provider_message_id,
                )
                result = await handle_inbound(s, self.keyring, event, row, self.now(), pin_hasher=self.pin_hasher,
                                              interpreter=self.interpreter)
                chats = queued_chats(s)
            log_event("inbound.processed", id=inbound_id, channel=row.channel, replies=len(result.says))
        except Exception:
            log_event("inbound.processing_failed", logging.ERROR, id=inbound_id, exc_info=True)
            return False, None
        self.on_outbox(chats)
        return True, result.notice

    async def process_pending(self) -> int:
        """Re-run processing for rows persisted but never processed (after a crash)."""
        async with self.db.sessions() as s:
            ids = (await s.scalars(
                select(InboundMessage.id).where(InboundMessage.processed_at.is_(None)).order_by(InboundMessage.id)
            )).all()
        done = 0
        for inbound_id in ids:
            done += await self.process(inbound_id)
        return done
