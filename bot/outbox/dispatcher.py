"""Sends what the outbox holds: each chat's messages in order, chats side by side within the
provider's limits; retries what can be retried for a time budget; never sends a message twice.

Delivery is at most once. A row is claimed (`pending` -> `sending`) by one conditional UPDATE, so
two dispatchers (or two processes on PostgreSQL) cannot both send it, and it is claimed only once
the rate limiter has granted its turn, right before the request is written: a row waiting for a
token is still `pending`, so a crash leaves `sending` only on rows whose request may have reached
the provider. When such a claim expires the row becomes `in_doubt` and goes to a worker (an
escalation) instead of being sent again, unless the provider confirms it (Twilio's status callback
carries our idempotency key).

No head-of-line blocking: each chat with something due gets its own worker task, which sends that
chat's messages one after another; a slow send or a long backlog occupies only its own chat's
worker and one place at a time in the channel's token queue.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

from sqlalchemy import and_, bindparam, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from bot.channels.base import Button, Channel, DeliveryReceipt, OutgoingMessage, SendError, SendResult
from bot.channels.registry import capabilities
from bot.logs import log_event
from bot.outbox.budgets import DEFAULT_BUDGETS, budget_for
from bot.outbox.events import DeliveryEvents, tell
from bot.outbox.exit_button import with_exit
from bot.outbox.lanes import NOTICE, URGENT, lane_of
from bot.outbox.owners import Owners
from bot.outbox.ratelimit import KeyedBuckets, Pacer, PriorityLock
from bot.outbox.results import mark_sent, record_receipt, stop_recipient
from bot.outbox.shared_rate import SharedTurns, forget_idle_chats
from bot.outbox.urgent_first import Hold, UrgentFirst
from bot.storage.db import Database
from bot.storage.models import ChannelIdentity, InboundMessage, OutboundMessage, Survivor
from safety import windows
from safety.deletion import DeletionPlan
from safety.outbound_gate import SEND, GateDecision, GateFacts, decide

CLAIM_LEASE = timedelta(seconds=60)
RECOVER_EVERY = timedelta(seconds=15)  # a dead process's claims are taken back soon after their lease
PROBE_EVERY = timedelta(seconds=2)  # while a provider is down, one waiting message is tried this often
OWNERS_EVERY = timedelta(seconds=2)  # PostgreSQL: how often the claims of dead processes are looked for


class Outcome(Enum):
    """What one attempt at one row came to; a chat's sender goes on to her next message only after
    SENT or CANCELLED (her messages in order: anything else stops the chat until the next pass)."""

    SENT = "sent"  # the provider took it (or a callback had already confirmed it)
    CANCELLED = "cancelled"  # the gate cancelled it (erased, stopped, unconfirmed number)
    HOLD = "hold"  # the gate holds it until her window opens or a pause ends
    SKIPPED = "skipped"  # not ours to send now: another sender claimed it, or it was not due
    RETRY = "retry"  # a retryable error within the budget: tried again after the backoff
    IN_DOUBT = "in_doubt"  # it may have gone out: never resent, a worker is told
    FAILED = "failed"  # a permanent error, or the budget ran out: a worker is told
MAX_CHATS_PER_PASS = 2000
# chats' senders using the database at once (the rest wait, best lane first): with hundreds of
# chats due, every sender asking the connection pool at once queued a danger reply's reads and
# claim behind all of theirs (the pool serves in arrival order), for seconds under saturation
DB_SENDERS = 6
ChatKey = tuple[str, str]  # (channel, recipient blind index)
# a chat's queue, oldest first (built once: it is read for every message sent)
CHAT_QUEUE = select(
    OutboundMessage.id, OutboundMessage.kind, OutboundMessage.status, OutboundMessage.next_attempt_at,
    OutboundMessage.attempts, OutboundMessage.urgent, OutboundMessage.is_reply, OutboundMessage.text_key,
).where(
    OutboundMessage.channel == bindparam("channel"), OutboundMessage.recipient_index == bindparam("recipient"),
    OutboundMessage.status.in_(("sending", "pending", "held")),
).order_by(OutboundMessage.id).limit(50)
Next = tuple[int, str, int] | None  # a chat's next row to send (id, kind, lane), if one may go now
# claiming a row to send it, only if it is still waiting (built once, executed without the ORM: the
# statement built and synchronised with the session for every message cost 0.7 ms of CPU, now 0.2)
CLAIM = update(OutboundMessage).where(
    OutboundMessage.id == bindparam("row_id"), OutboundMessage.status.in_(("pending", "held")),
).values(status="sending", claimed_until=bindparam("until", type_=OutboundMessage.claimed_until.type),
         claimed_by=bindparam("owner", type_=OutboundMessage.claimed_by.type),
         attempts=OutboundMessage.attempts + 1,
         first_attempt_at=func.coalesce(OutboundMessage.first_attempt_at,
                                        bindparam("now", type_=OutboundMessage.first_attempt_at.type)),
         ).returning(OutboundMessage.body, OutboundMessage.buttons)


# a row's lane in SQL, as bot.outbox.lanes.lane_of decides it
LANE = case(
    (or_(OutboundMessage.kind.in_(("delete", "staff_alert")), OutboundMessage.urgent), 0),
    (OutboundMessage.is_reply, 1),
    (OutboundMessage.text_key.like("checkin.%"), 3),
    else_=2,
)
# the timed pass's search (built once, executed without the ORM: 3.0 -> 1.9 ms of CPU a pass with
# 1,000 chats due, up to ten passes a second while they are sent)
DUE_CHATS = select(OutboundMessage.channel, OutboundMessage.recipient_index, func.min(LANE)).where(
    OutboundMessage.status.in_(("pending", "held")),
    OutboundMessage.next_attempt_at <= bindparam("now", type_=OutboundMessage.next_attempt_at.type),
    OutboundMessage.channel.in_(bindparam("channels", expanding=True)),
).group_by(OutboundMessage.channel, OutboundMessage.recipient_index).order_by(
    func.min(OutboundMessage.id)).limit(MAX_CHATS_PER_PASS)


def backoff(attempt: int, base: float, cap: float = 300.0) -> float:
    """Exponential backoff with full jitter, capped."""
    return random.uniform(0, min(cap, base * (2 ** max(attempt - 1, 0))))


class Dispatcher:
    def __init__(self, db: Database, channels: Mapping[str, Channel], *, events: DeliveryEvents,
                 retry_budgets: Mapping[str, float] | None = None, base_backoff: float = 1.0,
                 max_backoff: float = 300.0, poll_interval: float = 0.5, clock: object = None,
                 claim_lease: float = CLAIM_LEASE.total_seconds(), urgent_first: UrgentFirst | None = None) -> None:
        self.db = db
        # an urgent row's first send holds ordinary deliveries back until it is claimed (inbound.py)
        self.urgent_first = urgent_first or UrgentFirst()
        self.channels = channels
        self.events = events  # who hears what became of each row (bot/delivery_events.py)
        self.retry_budgets = {**DEFAULT_BUDGETS, **(retry_budgets or {})}
        self.base_backoff = base_backoff
        self.max_backoff = max_backoff
        self.poll_interval = poll_interval
        self.claim_lease = timedelta(seconds=claim_lease)
        self._recover_every = min(RECOVER_EVERY, self.claim_lease)
        self._owners = Owners(db)
        self._claim_owner: int | None = None  # set once this process's mark of life is held
        # channels whose provider stopped answering, with the errors it gave (see `_probe`)
        self._outage: dict[str, set[str]] = {}
        self._now = clock if callable(clock) else (lambda: datetime.now(UTC))
        self._wake = asyncio.Event()
        # the provider's limits: on PostgreSQL kept by every process together through the database
        # (bot.outbox.shared_rate), on SQLite (one process) here; either way the best lane goes first
        self._shared = {} if db.is_sqlite else {
            n: SharedTurns(db, n, c.limits.per_second, c.limits.burst, c.limits.per_recipient_per_second)
            for n, c in channels.items()}
        self._global: dict[str, Pacer | SharedTurns] = {
            n: self._shared[n] if self._shared else Pacer(c.limits.per_second, c.limits.burst)
            for n, c in channels.items()}
        self._per_chat = {} if self._shared else {
            n: KeyedBuckets(c.limits.per_recipient_per_second, c.limits.burst)
            for n, c in channels.items() if c.limits.per_recipient_per_second
        }
        self._workers: dict[ChatKey, asyncio.Task[int]] = {}
        self._look_again: set[ChatKey] = set()  # chats whose sender was asked for while it was finishing
        self._db_turns = PriorityLock(DB_SENDERS)
        self._running = False
        self._passes = 0
        self._pass_done = asyncio.Condition()

    def now(self) -> datetime:
        return self._now()  # type: ignore[no-any-return,operator]

    async def record_receipt(self, receipt: DeliveryReceipt) -> str:
        """A provider's later word on a message (a channel's delivery receipt), applied now."""
        return await record_receipt(self.db, receipt, self.now(), self.events)

    def wake(self) -> None:
        self._wake.set()

    def wake_for(self, chats: Iterable[ChatKey] | Mapping[ChatKey, int]) -> None:
        """Messages were just queued for these chats (with their best lane, when known: see
        bot.outbox.enqueue.queued_chats): while the dispatcher runs, their senders start at once,
        with no search of the whole outbox (the timed pass still looks at everything)."""
        if not self._running:
            self.wake()
            return
        lanes = chats if isinstance(chats, Mapping) else {}
        for key in chats:
            if key[0] in self.channels:
                self._worker(key, lanes.get(key, NOTICE))

    async def run_forever(self) -> None:
        # at start: a crashed predecessor's claims are released at once (bot.outbox.owners), and
        # later too: claims of a process that died beside this one, and of any claim past its lease
        await self._hold_owner()
        next_recovery = next_owners = next_probe = self.now()
        at_start = True
        self._running = True
        try:
            while True:
                now = self.now()
                if now >= next_recovery or (now >= next_owners and not self.db.is_sqlite):
                    try:
                        await self._hold_owner()
                        await self.recover_stale_claims(at_start=at_start, leases=now >= next_recovery)
                        at_start = False
                    except Exception:
                        log_event("outbox.recover_failed", logging.ERROR)
                    if now >= next_recovery:
                        next_recovery = now + self._recover_every
                    next_owners = now + OWNERS_EVERY
                if self._outage and now >= next_probe:
                    try:
                        await self._probe()
                    except Exception:
                        log_event("outbox.probe_failed", logging.ERROR)
                    next_probe = now + PROBE_EVERY
                try:
                    await self._start_due()
                except Exception:
                    log_event("outbox.pass_failed", logging.ERROR)
                async with self._pass_done:
                    self._passes += 1
                    self._pass_done.notify_all()
                try:
                    await asyncio.wait_for(self._wake.wait(), self.poll_interval)
                except TimeoutError:
                    pass
                self._wake.clear()
        finally:
            self._running = False
            await self.stop_workers()
            await self._owners.close()

    async def _probe(self) -> None:
        """While a provider is down, its waiting messages back off up to minutes each; so every
        PROBE_EVERY the one waiting longest is tried now (a real send: it was due to be retried
        anyway, and a retry is only ever of a message that did not go out). The first that goes
        through ends the outage (`_outage_over`), and the others follow at once."""
        now = self.now()
        for channel in list(self._outage):
            async with self.db.transaction() as s:
                oldest = await s.scalar(select(func.min(OutboundMessage.id)).where(
                    OutboundMessage.channel == channel, OutboundMessage.status == "pending",
                    OutboundMessage.attempts > 0, OutboundMessage.next_attempt_at > now))
                if oldest is None:
                    self._outage.pop(channel, None)
                    continue
                await s.execute(update(OutboundMessage).where(
                    OutboundMessage.id == oldest, OutboundMessage.status == "pending").values(next_attempt_at=now))

    async def _outage_over(self, channel: str) -> None:
        """The provider answers again: what waits after the outage's errors goes now, in order,
        at the provider's pace (messages of every process, since they wait in the database)."""
        codes = self._outage.pop(channel, None)
        if not codes:
            return
        now = self.now()
        async with self.db.transaction() as s:
            res = await s.execute(update(OutboundMessage).where(
                OutboundMessage.channel == channel, OutboundMessage.status == "pending",
                OutboundMessage.attempts > 0, OutboundMessage.next_attempt_at > now,
                OutboundMessage.last_error.in_(codes)).values(next_attempt_at=now))
        log_event("outbox.provider_back", channel=channel, waiting=res.rowcount)  # type: ignore[attr-defined]
        self.wake()

    async def _hold_owner(self) -> None:
        """Claims name this process only while its mark of life is held: a claim with no owner is
        left to its lease, never taken for a dead process's."""
        try:
            await self._owners.hold()
        except Exception:
            self._claim_owner = None
            log_event("outbox.owner_lock_failed", logging.ERROR)
            return
        self._claim_owner = self._owners.owner

    async def stop_workers(self) -> None:
        workers = list(self._workers.values())
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)

    async def passes(self, count: int = 2) -> None:
        """Wait until `count` whole passes of the running dispatcher have finished after this call.
        Tests show that nothing more will go out by passes that sent nothing, never by sleeping."""
        async with self._pass_done:
            target = self._passes + count
            self.wake()
            await self._pass_done.wait_for(lambda: self._passes >= target)
        in_flight = list(self._workers.values())  # sends those passes started, each chat's in order
        if in_flight:
            await asyncio.wait(in_flight)

    async def recover_stale_claims(self, *, at_start: bool = False, leases: bool = True) -> int:
        """Sends left `sending` by a dead process become `in_doubt`: never resent blindly, shown to
        a worker. Deletions are safe to repeat, so they simply go back to `pending` and finish. A
        claim is taken back when its owner is known dead (bot.outbox.owners), or when its lease has
        run out (`leases`: a claim with no owner, or an owner that could not be tested)."""
        now = self.now()
        async with self.db.reads() as s:
            owners = {o for o in (await s.scalars(select(OutboundMessage.claimed_by).where(
                OutboundMessage.status == "sending", OutboundMessage.claimed_by.isnot(None)).distinct())).all()
                      if o is not None}
        dead: set[int] = set()
        if owners:
            if self.db.is_sqlite:
                dead = await self._owners.dead(None, owners, at_start=at_start)
            else:
                async with self.db.engine.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
                    dead = await self._owners.dead(conn, owners, at_start=at_start)
        if leases and not self.db.is_sqlite:
            await forget_idle_chats(self.db)
        if not dead and not leases:
            return 0
        gone = [OutboundMessage.claimed_by.in_(dead)] if dead else []
        expired = [OutboundMessage.claimed_until < now] if leases else []
        stale = and_(OutboundMessage.status == "sending", or_(*gone, *expired))
        async with self.db.transaction() as s:
            await s.execute(
                update(OutboundMessage).where(stale, OutboundMessage.kind == "delete").values(status="pending")
            )
            rows = (await s.scalars(select(OutboundMessage).where(stale))).all()
            count = 0
            for msg in rows:
                res = await s.execute(update(OutboundMessage).where(OutboundMessage.id == msg.id, stale).values(
                    status="in_doubt", claimed_until=None,
                    last_error="claim of a dead process" if msg.claimed_by in dead
                    else "claim expired before the result was recorded"))
                if res.rowcount == 1:  # type: ignore[attr-defined]
                    count += 1
                    await tell(self.events.in_doubt, s, msg, now)
        if count:
            log_event("outbox.in_doubt", logging.WARNING, count=count)
        if dead:
            self.wake()  # her deletion goes on now
        return count

    async def _due_chats(self, recipient_index: str | None = None) -> list[tuple[ChatKey, int]]:
        """The chats with something due, oldest first: one row each, whatever their backlog."""
        q = DUE_CHATS if recipient_index is None else DUE_CHATS.where(
            OutboundMessage.recipient_index == recipient_index)
        async with self.db.reads() as s:
            rows = await (await s.connection()).execute(q, {"now": self.now(), "channels": list(self.channels)})
            return [((c, r), lane) for c, r, lane in rows.all()]

    def _worker(self, key: ChatKey, lane: int = NOTICE) -> asyncio.Task[int]:
        task = self._workers.get(key)
        if task is None or task.done():
            # an urgent chat's sender holds ordinary work back from now (not from its first lap) until its
            # first row is claimed: the danger text that queued it is still holding it back
            hold = self.urgent_first.hold() if lane == URGENT else None
            task = asyncio.create_task(self._drain_chat(key, lane, hold), name="outbox-chat")
            self._workers[key] = task
        else:  # it may be past its last look at her queue: it looks once more before it ends
            self._look_again.add(key)
        return task

    async def _start_due(self) -> None:
        for key, lane in await self._due_chats():
            self._worker(key, lane)

    async def dispatch_due(self, recipient_index: str | None = None, channel: str | None = None) -> int:
        """Send what is due now (for one recipient, if given) and wait for it; returns how many
        were sent. The running service does the same without waiting (`run_forever`). With the
        recipient's channel too, her chat's sender looks for itself (no search of the outbox)."""
        if recipient_index is not None and channel is not None and channel in self.channels:
            return await self._worker((channel, recipient_index))
        keys = await self._due_chats(recipient_index)
        tasks = {self._worker(k, lane) for k, lane in keys}
        # and what this process's running senders are sending now: a row they claimed is not due, but not
        # sent yet either (CI under stress-ng: the timed pass had claimed her check-in when a test looked)
        tasks |= {t for k, t in self._workers.items() if recipient_index is None or k[1] == recipient_index}
        results = await asyncio.gather(*tasks)
        return sum(results)

    async def _drain_chat(self, key: ChatKey, lane: int = NOTICE, hold: Hold | None = None) -> int:
        """One chat's messages, strictly in order; stop at the first that does not go. The next
        one is looked up in the transaction that recorded the last one's outcome. A message queued
        for her while this sender was finishing (its last look already taken) is looked for again
        before it ends: joined by a wake-up, it must not leave that message to the next timed pass."""
        sent = 0
        try:
            while True:
                self._look_again.discard(key)
                sent += await self._drain_once(key, lane, hold)
                if key not in self._look_again:
                    return sent
        finally:
            if hold is not None:
                hold.release()
            if self._workers.get(key) is asyncio.current_task():
                del self._workers[key]
                self._look_again.discard(key)

    async def _drain_once(self, key: ChatKey, lane: int, hold: Hold | None = None) -> int:
        sent = 0
        async with self._db_turns(lane), self.db.reads() as s:
            nxt = await self._next_in(s, key)
        while nxt is not None:
            outcome, nxt = await self._send_one(nxt[0], key, is_deletion=nxt[1] == "delete", lane=nxt[2], hold=hold)
            if hold is not None:
                hold.release()
            if outcome is Outcome.SENT:
                sent += 1
            elif outcome is not Outcome.CANCELLED:
                return sent
        return sent

    async def _next_in(self, s: AsyncSession, key: ChatKey) -> Next:
        """Her messages go in order: nothing overtakes one that is on its way, due, or waiting to be
        retried. A message scheduled for later (a re-check tomorrow, one held for her window) is
        not in the way of a reply she is waiting for now."""
        now = self.now()
        rows = (await s.execute(CHAT_QUEUE, {"channel": key[0], "recipient": key[1]})).all()
        for row_id, kind, status, next_at, attempts, urgent, is_reply, text_key in rows:
            if status == "sending":
                return None
            if next_at <= now:
                return row_id, kind, lane_of(kind, urgent, is_reply, text_key)
            if status == "pending" and attempts > 0:  # waiting to be retried: keeps its place
                return None
        return None

    async def _send_one(self, row_id: int, key: ChatKey, *, is_deletion: bool,
                        lane: int = 0, hold: Hold | None = None) -> tuple[Outcome, Next]:
        """Send one row; returns what became of it and, when the chat goes on, its next row. An urgent
        row's `hold` (bot.outbox.urgent_first) is let go while it waits for her chat's limit and once
        it is claimed: ordinary work never waits on a provider's answer."""
        channel_name, rindex = key
        channel = self.channels[channel_name]
        # our turn first, claim second: a row waiting for a token is still `pending`, so a crash
        # while it waits leaves nothing in doubt. A chat's limit is on messages sent to it: quick
        # exit's deletion batches do not wait a second each for it (if the provider does refuse
        # one, its 429 is retried after retry_after like any other)
        shared = self._shared.get(channel_name)
        if shared is not None and not is_deletion:
            async with self._db_turns(lane):
                wait = await shared.chat_wait(rindex)
            if wait > 0:
                if hold is not None:
                    hold.release()
                await asyncio.sleep(wait)
        elif channel_name in self._per_chat and not is_deletion:
            await self._per_chat[channel_name].acquire(rindex)
        # the turn is held until the claim is committed, right before the request is written: the
        # pacer counts it from then, so sends delayed on the way never reach the provider bunched
        async with self._global[channel_name].turn(lane):
            now = self.now()
            async with self.db.transaction() as s:
                if shared is not None and not await shared.ours_to_claim(s, row_id):
                    return Outcome.SKIPPED, None
                msg = await s.get(OutboundMessage, row_id)
                if msg is None or msg.status not in ("pending", "held"):
                    return Outcome.SKIPPED, None
                survivor = await s.get(Survivor, msg.survivor_id) if msg.survivor_id else None
                identity = await s.get(ChannelIdentity, msg.identity_id) if msg.identity_id else None
                if msg.kind == "staff_alert":
                    decision = await staff_alert_decision(s, msg)
                else:
                    decision = decide(GateFacts(
                        now=now, is_deletion=msg.kind == "delete", is_reply=msg.is_reply, urgent=msg.urgent,
                        sensitive=msg.sensitive,
                        identity_status=identity.status if identity else None,
                        survivor_status=survivor.status if survivor else None,
                        paused_until=survivor.outbound_paused_until if survivor else None,
                        **window_facts(survivor, now, msg.is_reply or msg.urgent or msg.kind != "send",
                                       msg.address if capabilities(msg.channel).phone_address else None),
                    ))
                if decision.action == "cancel":
                    msg.status, msg.last_error, msg.body, msg.buttons = "cancelled", decision.reason, None, None
                    log_event("outbox.cancelled", id=msg.id, reason=decision.reason)
                    return Outcome.CANCELLED, await self._next_in(s, key)
                if decision.action == "hold":
                    msg.status, msg.last_error = "held", decision.reason
                    msg.next_attempt_at = decision.until or now + timedelta(minutes=5)
                    return Outcome.HOLD, None
                edit_of = await edited_message(s, msg)
                turned = None
                if shared is not None:  # every process's turn, kept in the database; only the claim and its
                    # commit are left after it (and until the claim, her erasure or exit still cancels the row)
                    turned = await shared.take(s, None if is_deletion else rindex)
                    now = self.now()
                attempts = msg.attempts + 1
                until = now + self.claim_lease
                claimed = (await (await s.connection()).execute(
                    CLAIM, {"row_id": row_id, "until": until, "now": now, "owner": self._claim_owner})).first()
                if claimed is None:
                    return Outcome.SKIPPED, None
                # what the claim wrote, as loaded: the send's record writes only what changes then. The
                # text is the one claimed: a staff alert may have been joined by another until then
                for name, value in (("status", "sending"), ("claimed_until", until), ("attempts", attempts),
                                    ("first_attempt_at", msg.first_attempt_at or now), ("body", claimed.body),
                                    ("buttons", claimed.buttons)):
                    set_committed_value(msg, name, value)
                out = OutgoingMessage(
                    address=msg.address, text=msg.body or "", idempotency_key=msg.idempotency_key,
                    buttons=with_exit(tuple(Button(p, label) for p, label in (msg.buttons or [])), channel_name,
                                      survivor),
                )
        # the claim is committed and the request is written next: from here a crash leaves the
        # row `sending` -> `in_doubt`
        if hold is not None:
            hold.release()
        if is_deletion:
            assert msg.deletion_plan is not None  # the database refuses a deletion without its plan
            return await self._delete(channel, key, row_id, out.address, msg.deletion_plan, attempts)
        if shared is not None and turned is not None:
            shared.keep_to(turned)
        try:
            if edit_of is not None:  # a staff alert edited in place ("taken by ...")
                await channel.edit(out.address, edit_of, out.text, out.buttons)
                result = SendResult(edit_of)
            else:
                result = await channel.send(out)
        except SendError as err:
            return await self._record_failure(row_id, attempts, err, lane), None
        async with self._db_turns(lane), self.db.transaction() as s:
            s.add(msg)  # as the claim left it: only what changes now is written, nothing re-read
            await mark_sent(s, msg, result.provider_message_id, self.now(), self.events)
            if shared is not None:
                await shared.answered(s, rindex)
            following = await self._next_in(s, key)
        log_event("outbox.sent", id=row_id, channel=channel_name, attempts=attempts)
        if channel_name in self._outage:
            await self._outage_over(channel_name)
        return Outcome.SENT, following

    async def _delete(self, channel: Channel, key: ChatKey, row_id: int, address: str, plan: DeletionPlan,
                      attempts: int) -> tuple[Outcome, Next]:
        """Carry out a queued deletion, then clear the deleted messages' content from our records."""
        if plan.outbound_ids:
            # a send that was on its way when the deletion was queued has its id by now (the
            # deletion waited behind it): delete it too, or it would stay on her screen
            async with self._db_turns(URGENT), self.db.sessions() as s:
                sends = (await s.execute(select(OutboundMessage.provider_message_id, OutboundMessage.status).where(
                    OutboundMessage.id.in_(plan.outbound_ids)))).all()
            plan = plan.with_late_sends(pid for pid, _status in sends if pid is not None)
            if channel.sequential_ids and any(pid is None and status == "in_doubt" for pid, status in sends):
                # it may be on her screen though we never learnt its id: look for it by number
                plan = plan.with_unknown_sends()
        try:
            await channel.delete(address, list(plan.provider_ids))
        except SendError as err:
            # repeating a deletion is harmless: a time-out is retried, not left in doubt
            retry = SendError(err.code, retryable=err.retryable or err.in_doubt, retry_after=err.retry_after)
            return await self._record_failure(row_id, attempts, retry, URGENT), None
        done_at = self.now()
        async with self._db_turns(URGENT), self.db.transaction() as s:
            if plan.outbound_ids:
                await s.execute(update(OutboundMessage).where(OutboundMessage.id.in_(plan.outbound_ids))
                                .values(deleted_at=done_at, body=None, buttons=None))
            if plan.inbound_ids:
                await s.execute(update(InboundMessage).where(InboundMessage.id.in_(plan.inbound_ids))
                                .values(deleted_at=done_at, body=None, button=None))
            msg = await s.get(OutboundMessage, row_id)
            assert msg is not None
            msg.status, msg.sent_at, msg.claimed_until, msg.last_error = "sent", done_at, None, None
            msg.address, msg.recipient_index = "", ""  # kept only to carry out the deletion
            msg.deletion_plan = plan.carried_out()
            following = await self._next_in(s, key)
        log_event("outbox.deleted", id=row_id, channel=channel.name, count=len(plan.provider_ids))
        if channel.name in self._outage:
            await self._outage_over(channel.name)
        return Outcome.SENT, following

    async def _record_failure(self, row_id: int, attempts: int, err: SendError, lane: int) -> Outcome:
        now = self.now()
        async with self._db_turns(lane), self.db.transaction() as s:
            msg = await s.get(OutboundMessage, row_id)
            assert msg is not None
            if msg.status == "sent":  # a provider callback confirmed it while we waited: keep that
                return Outcome.SENT
            msg.claimed_until, msg.last_error = None, err.code[:200]
            if err.in_doubt:
                msg.status = "in_doubt"
                await tell(self.events.in_doubt, s, msg, now)
                log_event("outbox.in_doubt", logging.WARNING, id=row_id, code=err.code)
                return Outcome.IN_DOUBT
            if err.retryable:
                # retry by time, not by count: until her message's budget (by kind) is spent
                deadline = (msg.first_attempt_at or now) + timedelta(seconds=budget_for(msg, self.retry_budgets))
                delay = max(err.retry_after or 0.0, backoff(attempts, self.base_backoff, self.max_backoff))
                at = min(now + timedelta(seconds=delay), deadline)
                if at > now:
                    msg.status, msg.next_attempt_at = "pending", at
                    if err.retry_after is None:  # the provider is not answering, not pacing us
                        self._outage.setdefault(msg.channel, set()).add(msg.last_error)
                    log_event("outbox.retry", id=row_id, code=err.code, attempt=attempts,
                              delay=round((at - now).total_seconds(), 2))
                    return Outcome.RETRY
            msg.status = "failed"
            if err.recipient_gone:
                await stop_recipient(s, msg, now, self.events)
            else:
                await tell(self.events.failed, s, msg, now)
            log_event("outbox.failed", logging.ERROR, id=row_id, code=err.code, attempts=attempts)
            return Outcome.FAILED


async def edited_message(session: AsyncSession, msg: OutboundMessage) -> str | None:
    """The provider id of the message a row edits (`edit_of_id`: staff alerts saying who took
    them), or None to send it as a new message (not an edit, or the original never went out)."""
    if msg.edit_of_id is None:
        return None
    return await session.scalar(select(OutboundMessage.provider_message_id).where(
        OutboundMessage.id == msg.edit_of_id))


async def staff_alert_decision(session: AsyncSession, msg: OutboundMessage) -> GateDecision:
    """A staff alert skips her gate (no windows, no pause, no disguise: it is not hers), but it is
    never sent to a survivor: not with a survivor attached, not to an address one of them uses."""
    if msg.survivor_id is not None or msg.identity_id is not None:
        return GateDecision("cancel", "staff_alert_to_survivor")
    hers = await session.scalar(select(ChannelIdentity.id).where(
        ChannelIdentity.channel == msg.channel, ChannelIdentity.address_index == msg.recipient_index,
        ChannelIdentity.survivor_id.isnot(None)).limit(1))
    return GateDecision("cancel", "staff_alert_to_survivor") if hers is not None else SEND


def window_facts(survivor: Survivor | None, now: datetime, exempt: bool, number: str | None = None) -> dict[str, Any]:
    """Is she inside her safe contact windows now, and if not, when is the next one? A number with no
    survivor yet (an SMS invitation) gets the default windows in the zone of its country code."""
    if exempt:
        return {}
    if survivor is None:
        invitee_zone = windows.zone_of_number(number)
        if invitee_zone is None:
            return {}
        opens = windows.next_open([], invitee_zone, now)
        return {} if opens <= now else {"window_open": False, "next_window": opens}
    try:
        opens = windows.next_open(survivor.contact_windows, survivor.timezone, now)
    except windows.WindowError:  # unreadable windows or zone: the safe default hours, not a guess
        opens = windows.next_open([], "UTC", now)
    return {} if opens <= now else {"window_open": False, "next_window": opens}
