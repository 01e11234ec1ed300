"""The inbound path: persist (de-duplicated by provider id) and process, then acknowledge.

The delivery is stored and processed in one transaction, so a commit is the only acknowledgement:
nothing is acknowledged before it is stored. If processing fails, that transaction is rolled back
and the delivery is stored alone, unprocessed, for `process_pending` to pick up again (and if the
process dies first, nothing was acknowledged: the provider delivers it again). One transaction
instead of two (store, then claim, re-read and process) halves the commits and round trips of
every message. A replayed delivery hits the unique constraint and is acknowledged without being
processed twice.
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
from bot.conversation import Interpreter, handle_inbound
from bot.logs import log_event
from bot.outbox.enqueue import queued_chats
from bot.storage.db import Database
from bot.storage.models import InboundMessage
from safety.crypto import KeyRing
from safety.pin import PinHasher


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
                 clock: Callable[[], datetime] | None = None, *, pin_hasher: PinHasher) -> None:
        """`on_outbox(chats)` hears, after each commit, which chats got messages queued."""
        self.db = db
        self.keyring = keyring
        self.pin_hasher = pin_hasher
        # the NLU, set by the service once it has started (before then free text gets "didn't get that")
        self.interpreter: Interpreter | None = None
        self.on_outbox = on_outbox or (lambda _chats: None)
        self.now = clock or (lambda: datetime.now(UTC))

    async def accept(self, event: InboundEvent) -> Accepted:
        """Persist and process one delivery; safe to call again with the same provider id.
        Raises `InvalidInbound` (answer 4xx, nothing stored) for a malformed identifier; text a
        database cannot hold is stored repaired and marked (bot.channels.text_guard)."""
        event, repaired = checked(event)
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
