"""The provider's limits kept by every process together, through the database (PostgreSQL).

Each process pacing alone made two processes send 58/s against Telegram's 30/s; dividing the rate
by hand between processes wastes it whenever one is idle. Here a provider's turns are one schedule
in the database (`provider_turns`: the channel's row, and one row per chat for the per-chat limit),
taken with the generic cell rate algorithm: a turn is due at the row's theoretical time `tat`
(less a tolerance for a burst) and moves it on by one interval. Times are the database server's
(`clock_timestamp()`), so processes on several hosts share one clock.

The channel's turn is taken inside the transaction that claims the row, right before the claim
(after the gate's reads and the chat's turn): the row stays locked until that transaction commits
and the request is written, so the processes' turns are taken one after another, each at least an
interval after the one before, counted from (about) when the request leaves; this process's senders
queue for it best lane first. Only the claim and the commit are left after the turn; the claim stays
after it, so until then her erasure or quick exit still cancels the row. A request that leaves late
anyway goes at once and moves the turns after it on by its delay (`keep_to`). Two processes' senders
of one chat never both spend a turn on her next row (`ours_to_claim`).
(Tried and left: claiming first and taking the turn after the commit kept the schedule on the clock
but left each claimed row waiting for its turn as `sending`: a kill -9 in that wait put a message
never written in doubt, and a worker is alerted for it (CI under stress-ng,
tests/faults/test_kill_and_restart.py). Before this order, and before a late request's debt, most
sends on a loaded machine were late and each spent a second turn: the schedule ran ahead of the
clock, and a danger reply waited behind the wasted turns; bench/README.md has the figures.)
The chat's turn (up to a second) is waited for before,
outside any lock; it is set at the claim (so no other process writes to her meanwhile) and again when
the provider answers (`answered`), from which her next message counts: a slow commit between the
claim and the request must not bring two of her messages closer than her limit. A chat's messages go
one after another, whichever process sends them.
SQLite serves one process, which paces alone (bot.outbox.ratelimit).
"""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.outbox.ratelimit import PriorityLock
from bot.storage.db import Database

CHANNEL = ""  # the `chat` of a channel's own row
FORGET_AFTER = 60.0  # seconds after its last turn a chat's row is deleted
DEBT_WINDOW = 1.0  # the provider's sliding second: a late request's debt is forgotten after it
NOW = "extract(epoch from clock_timestamp())"
TAKE = text(f"""
INSERT INTO provider_turns (channel, chat, tat) VALUES (:channel, :chat, {NOW} + :interval + :owed)
ON CONFLICT (channel, chat) DO UPDATE SET tat = GREATEST(provider_turns.tat, {NOW}) + :interval + :owed
RETURNING provider_turns.tat - :interval - :owed - :tolerance - {NOW}
""")
CHAT_WAIT = text(f"SELECT tat - {NOW} FROM provider_turns WHERE channel = :channel AND chat = :chat")
# a chat's turn: set when its message is claimed, and again when the provider answers (never earlier)
USED = text(f"""
INSERT INTO provider_turns (channel, chat, tat) VALUES (:channel, :chat, {NOW} + :interval)
ON CONFLICT (channel, chat) DO UPDATE SET tat = GREATEST(provider_turns.tat, {NOW} + :interval)
""")
# one process at a time claims a row: both processes' timed passes find the same chats due, and
# their senders of one chat both took a turn for her next row, one of them only to find it claimed
# (7 % of the turns wasted at 200 msg/s in). A transaction-scoped advisory lock, not a row lock: her
# erasure or quick exit still cancels the row while its sender waits for the turn.
CLAIM_LOCK_CLASS = 24_025  # the first key (bot.outbox.owners uses 24_024)
OURS = text("SELECT pg_try_advisory_xact_lock(:c, (:row_id % 2147483647)::int)")
FORGET = text(f"DELETE FROM provider_turns WHERE chat <> '' AND tat < {NOW} - :after")


class SharedTurns:
    """Turns of one channel (and of its chats) at rates every process keeps together."""

    def __init__(self, db: Database, channel: str, rate: float, burst: int = 1,
                 per_chat: float | None = None) -> None:
        self.db, self.channel = db, channel
        self.interval = 1.0 / rate
        # a turn comes early only for a provider's burst: the time between the turn and the request
        # reaching the provider varies by tens of ms on a busy machine, and at 29/s of a 30/s limit that
        # leaves one interval (34 ms) of slack; letting a turn come a third early to make up a stall
        # spent most of it (PG x2 at 200 msg/s inbound: 7 x 429, then 0-1 without; bench/saturation_bench.py)
        self.tolerance = (max(burst, 1) - 1) * self.interval if burst > 1 else 0.0
        self.chat_interval = 1.0 / per_chat if per_chat else None
        self._queue = PriorityLock()
        self._owed, self._owed_at = 0.0, 0.0  # seconds a late request owes the schedule, and since when

    async def take(self, session: AsyncSession, chat: str | None = None) -> float:
        """The channel's next turn, inside the claiming transaction right before the claim: waits for
        it holding the channel's row. This chat's turn (when it is a message to her, not a deletion)
        is set first, from now: one statement fewer between the turn and the request. Returns when
        the turn came (the loop's time), for `keep_to`."""
        if chat is not None and self.chat_interval is not None:
            await session.execute(USED, {"channel": self.channel, "chat": chat, "interval": self.chat_interval})
        loop = asyncio.get_running_loop()
        owed, self._owed = self._debt(loop.time()), 0.0
        # this turn comes when it is due; the next one, an interval and what a late request owes later
        wait = await self._take(session, CHANNEL, self.interval, self.tolerance, owed)
        if wait > 0:
            await asyncio.sleep(wait)
        return loop.time()

    def keep_to(self, turned: float) -> None:
        """Right before the request is written. One that leaves well after its turn (a commit slowed by
        a busy machine) could reach the provider bunched with the turns 30 on, and the provider counts
        arrivals in a sliding second (bench/saturation_bench.py: 30 within 0.9993 s, one 429). It
        leaves now; what it is late beyond half an interval is owed, and this process's next turn moves
        the schedule on by it (`take`), so the turns from then on are as far from this request as
        from their own. (Taking a new turn instead made the late request wait behind every turn
        granted: a danger reply, whose claim shares the loop with her message's own work, waited 360
        ms at the median for it at 170 msg/s in.) A debt older than a second is forgotten: the
        window it mattered to has passed."""
        loop = asyncio.get_running_loop()
        late = loop.time() - turned - self.interval / 2
        if late > 0:
            self._owed, self._owed_at = self._debt(loop.time()) + late, loop.time()

    def _debt(self, now: float) -> float:
        """What late requests owe the schedule now: nothing once the second it mattered to has passed."""
        return self._owed if now - self._owed_at < DEBT_WINDOW else 0.0

    async def answered(self, session: AsyncSession, chat: str) -> None:
        """The provider took a message to her chat: her next one counts its interval from now, the answer,
        not from the claim. Counted from the claim, a slow commit between the claim and the request ate into
        her interval (CI under stress-ng: two of one chat's messages 0.35 s apart at 2/s)."""
        if self.chat_interval is not None:
            await session.execute(USED, {"channel": self.channel, "chat": chat, "interval": self.chat_interval})

    def turn(self, lane: int = 0) -> AbstractAsyncContextManager[None]:
        """This process's place in the queue for the channel's turn, best lane first; the turn
        itself is taken inside the claim (`take`)."""
        return self._queue(lane)

    async def ours_to_claim(self, session: AsyncSession, row_id: int) -> bool:
        """First in the claiming transaction: no other process is claiming this row now (if one is,
        it is that one's to send, and this sender spends no turn on it). The row read after this
        shows any claim committed before."""
        return bool((await session.execute(OURS, {"c": CLAIM_LOCK_CLASS, "row_id": row_id})).scalar_one())

    async def chat_wait(self, chat: str) -> float:
        """Seconds until this chat may be written to again (its last message a chat interval ago)."""
        if self.chat_interval is None:
            return 0.0
        async with self.db.reads() as s:
            wait = (await s.execute(CHAT_WAIT, {"channel": self.channel, "chat": chat})).scalar()
        return max(0.0, float(wait or 0.0))

    async def _take(self, session: AsyncSession, chat: str, interval: float, tolerance: float,
                    owed: float = 0.0) -> float:
        result = await session.execute(TAKE, {"channel": self.channel, "chat": chat, "interval": interval,
                                              "tolerance": tolerance, "owed": owed})
        return float(result.scalar_one())


async def forget_idle_chats(db: Database) -> None:
    """Chats' rows whose last turn is long past: the table holds only the chats being written to."""
    async with db.transaction() as s:
        await s.execute(FORGET, {"after": FORGET_AFTER})
