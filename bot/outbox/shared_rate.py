"""The provider's limits kept by every process together, through the database (PostgreSQL).

Each process pacing alone made two processes send 58/s against Telegram's 30/s; dividing the rate
by hand between processes wastes it whenever one is idle. Here a provider's turns are one schedule
in the database (`provider_turns`: the channel's row, and one row per chat for the per-chat limit),
given as one process's pacer gives them (bot.outbox.ratelimit.Pacer): turn k on the schedule's
k-th interval, a late turn made up as soon as it may be, but never more than the rate's count in
any sliding second (the channel row's `recent`) and never closer than two thirds of an interval.
(Before, a cell rate with a third of an interval of tolerance: it let 30 turns into a second at
29/s, so the provider, counting arrivals by its own clock, refused some with 429, and it lost for
good every turn a loaded machine took up late: 1,000 notices in 36.4 s against 34.5.) Times are
the database server's (`clock_timestamp()`), so processes on several hosts share one clock.

The channel's turn is taken inside the transaction that claims the row, right before the claim:
the row stays locked until that transaction commits and the request is written, so the processes'
turns are taken one after another, each at least an interval after the one before, counted from
(about) when the request leaves; this process's senders queue for it best lane first. (Taking the
turn in its own statement and claiming after it measured no faster on a loaded machine, and lets
the claims' delays bunch the requests.) The chat's turn (up to a second) is waited for before,
outside any lock, and counted from the claim: the wait for the channel's turn in between must not
bring two of her messages closer than her limit. A chat's messages go one after another,
whichever process sends them.
SQLite serves one process, which paces alone (bot.outbox.ratelimit).
"""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.outbox.ratelimit import Pacer, PriorityLock
from bot.storage.db import Database

CHANNEL = ""  # the `chat` of a channel's own row
FORGET_AFTER = 60.0  # seconds after its last turn a chat's row is deleted
NOW = "extract(epoch from clock_timestamp())"
# the channel's next turn, as bot.outbox.ratelimit.Pacer.reserve gives it in one process: on its
# schedule (`tat`, restarted when idle for a window), no closer than `gap` to the turn before, and
# at most `per_window` turns in any `window` (`recent`: the latest turns' times); returns the wait
TAKE = text(f"""
INSERT INTO provider_turns AS t (channel, chat, tat, recent)
VALUES (:channel, '', {NOW} + :interval, ARRAY[{NOW}]::float8[])
ON CONFLICT (channel, chat) DO UPDATE SET (tat, recent) = (
    SELECT s.next + :interval,
           (coalesce(t.recent, '{{}}') || s.at)[greatest(1, coalesce(cardinality(t.recent), 0) + 2 - :per_window):]
    FROM (
        SELECT n.next, greatest(
            c.now, n.next - :ahead, coalesce(t.recent[cardinality(t.recent)] + :gap, c.now),
            CASE WHEN cardinality(t.recent) >= :per_window
                 THEN t.recent[cardinality(t.recent) + 1 - :per_window] + :window ELSE c.now END) AS at
        FROM (SELECT {NOW} AS now) c
        CROSS JOIN LATERAL (SELECT CASE WHEN c.now - t.tat > :window THEN c.now ELSE t.tat END AS next) n
    ) s
)
RETURNING t.recent[cardinality(t.recent)] - {NOW}
""")
# the channel's turn is counted from when it is used (the claim, right before the request is
# written), not from when it was due: a request delayed on the way must not bunch with the next
CHANNEL_USED = f"""
UPDATE provider_turns SET recent[cardinality(recent)] = greatest(recent[cardinality(recent)], {NOW})
WHERE channel = :channel AND chat = '' AND cardinality(recent) > 0
"""
USED_CHANNEL = text(CHANNEL_USED)
# and so is the chat's: her next message waits a chat interval from here
USED = text(f"""
WITH channel_used AS ({CHANNEL_USED})
INSERT INTO provider_turns (channel, chat, tat) VALUES (:channel, :chat, {NOW} + :chat_interval)
ON CONFLICT (channel, chat) DO UPDATE SET tat = GREATEST(provider_turns.tat, {NOW} + :chat_interval)
""")
CHAT_WAIT = text(f"SELECT tat - {NOW} FROM provider_turns WHERE channel = :channel AND chat = :chat")
FORGET = text(f"DELETE FROM provider_turns WHERE chat <> '' AND tat < {NOW} - :after")


class SharedTurns:
    """Turns of one channel (and of its chats) at rates every process keeps together."""

    def __init__(self, db: Database, channel: str, rate: float, burst: int = 1,
                 per_chat: float | None = None) -> None:
        self.db, self.channel = db, channel
        pacer = Pacer(rate, burst)  # the same turns as one process's pacer, kept in the database
        self.schedule = {"channel": channel, "interval": pacer.interval, "gap": pacer.min_gap,
                         "window": pacer.window, "per_window": pacer.per_window, "ahead": pacer.ahead}
        self.chat_interval = 1.0 / per_chat if per_chat else None
        self._queue = PriorityLock()

    async def take(self, session: AsyncSession, chat: str | None = None) -> None:
        """The channel's next turn, inside the claiming transaction: waits for it holding the row;
        then the turn, and this chat's (when it is a message to her, not a deletion), count from now."""
        wait = float((await session.execute(TAKE, self.schedule)).scalar_one())
        if wait > 0:
            await asyncio.sleep(wait)
        if chat is not None and self.chat_interval is not None:
            await session.execute(USED, {"channel": self.channel, "chat": chat, "chat_interval": self.chat_interval})
        else:
            await session.execute(USED_CHANNEL, {"channel": self.channel})

    def turn(self, lane: int = 0) -> AbstractAsyncContextManager[None]:
        """This process's place in the queue for the channel's turn, best lane first; the turn
        itself is taken inside the claim (`take`)."""
        return self._queue(lane)

    async def chat_wait(self, chat: str) -> float:
        """Seconds until this chat may be written to again (its last message a chat interval ago)."""
        if self.chat_interval is None:
            return 0.0
        async with self.db.reads() as s:
            wait = (await s.execute(CHAT_WAIT, {"channel": self.channel, "chat": chat})).scalar()
        return max(0.0, float(wait or 0.0))


async def forget_idle_chats(db: Database) -> None:
    """Chats' rows whose last turn is long past: the table holds only the chats being written to."""
    async with db.transaction() as s:
        await s.execute(FORGET, {"after": FORGET_AFTER})
