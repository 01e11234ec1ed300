"""Issue 6 from his side of the phone, on Telegram: "if he picks up her phone now, what does he see?"

The service runs for real (database on SQLite and PostgreSQL, webhook route, outbox dispatcher,
aiogram) against the fake Bot API, and the assertions look at what the fake's chat would show on
her phone and at what the Bot API was asked to do.

How a conversation is built here:
- hers: `fake.user_sends` + the real webhook (secret checked, aiogram parses the update, the
  inbound pipeline persists it with her message id, which is what deletion needs);
- ours: rows queued in the outbox and sent by the dispatcher through the real aiogram client.
The conversation flows' own replies are switched off (`quiet_conversation`): how many replies a
flow gives is the flows' business and changes with them, and these tests need exact counts
(250 messages -> 3 deleteMessages calls). One test keeps the live flows on.

Telegram's 48-hour window, as these tests expect it: a bot can delete messages of a private chat
for 48 hours only. Messages older than that (less a 15-minute margin, so a batch never races the
edge) are left out of the deletion batches, stay on her phone and are not counted as deleted:
nobody but she can remove them. That is tolerable only because sensitive messages never live that
long: expiry is clamped to at most 24 hours, so what survives 48 hours is cover content. If the
service was down for so long that a sensitive message outlived the window, expiry still empties
it in our records.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from bot.actions.expiry import expire_due
from bot.actions.quick_exit import quick_exit
from bot.channels.base import Button
from bot.channels.telegram.webhook import WEBHOOK_PATH
from bot.conversation import find_identity
from bot.outbox.enqueue import enqueue
from bot.service import Service
from bot.storage.db import Database
from bot.storage.models import AuditEvent, ChannelIdentity, InboundMessage, OutboundMessage, Survivor
from flows.types import FlowResult
from safety.crypto import KeyRing
from tests.support import running
from tests.support.fake_telegram import FakeTelegram, deliver
from tests.support.people import enrolled
from tests.support.running import Clock

TOKEN = "123456:TEST-token-not-real"
SECRET = "webhook_secret-for-tests_0123456789"
CHAT = 61_523_874
COVER = "Tomorrow: light rain early, dry and mild later."
HOUR = 3600


# -- the world --------------------------------------------------------------------------------


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(TOKEN) as server:
        yield server


@pytest.fixture
def env(settings_env: dict[str, object], fake: FakeTelegram) -> dict[str, object]:
    return running.telegram_env(settings_env, fake, SECRET)


@pytest.fixture
def quiet_conversation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Her messages are stored and linked to her identity (as the conversation does), but the
    flows do not answer: the tests queue exactly the messages of ours they count."""

    async def link_only(session: Any, keyring: KeyRing, event: Any, inbound: InboundMessage,
                        now: datetime, **_tools: Any) -> FlowResult:
        identity = await find_identity(session, keyring, event.channel, event.address)
        if identity is not None:
            inbound.identity_id, inbound.survivor_id = identity.id, identity.survivor_id
        return FlowResult(state={})

    monkeypatch.setattr("bot.inbound.handle_inbound", link_only)


wait_until = running.wait_until  # conversations of hundreds of messages: the default guard (a busy CI)


@dataclass
class Phone:
    """Her phone (the fake's chat) and the running service, with what a test does to them."""

    svc: Service
    fake: FakeTelegram
    hook: str
    http: aiohttp.ClientSession
    sid: int
    iid: int

    async def she_writes(self, n: int, words: str = "her words") -> list[int]:
        """She types n messages; returns their message ids. Each goes through the webhook (a few
        at a time, as Telegram delivers them)."""
        updates = [self.fake.user_sends(CHAT, f"{words} {len(self.fake.chat(CHAT).messages)}") for _ in range(n)]
        for start in range(0, n, 8):
            statuses = await asyncio.gather(*(deliver(u, self.hook, SECRET, session=self.http)
                                              for u in updates[start:start + 8]))
            assert set(statuses) <= {200}
        return [u["message"]["message_id"] for u in updates]

    async def she_presses(self, message_id: int, data: str) -> None:
        update = self.fake.user_presses(CHAT, message_id, data)
        assert await deliver(update, self.hook, SECRET, session=self.http) == 200

    async def we_send(self, n: int, *, sensitive: bool = True, words: str = "our answer",
                      buttons: tuple[Button, ...] = ()) -> list[int]:
        """n messages of ours through the outbox; returns their message ids on her phone."""
        async with self.svc.db.transaction() as s:
            rows = [self.queue(s, f"{words} {i}", sensitive=sensitive, buttons=buttons) for i in range(n)]
            await s.flush()
            row_ids = [r.id for r in rows]
        self.svc.dispatcher.wake()
        await self.settled()
        async with self.svc.db.sessions() as s:
            sent = (await s.execute(select(OutboundMessage.provider_message_id, OutboundMessage.status)
                                    .where(OutboundMessage.id.in_(row_ids)).order_by(OutboundMessage.id))).all()
        assert [status for _pid, status in sent] == ["sent"] * n
        return [int(pid) for pid, _status in sent]

    def queue(self, s: Any, body: str, *, sensitive: bool = True, buttons: tuple[Button, ...] = (),
              urgent: bool = False) -> OutboundMessage:
        return enqueue(
            s, channel="telegram", address=str(CHAT),
            address_index=self.svc.keyring.blind_index("telegram", str(CHAT)),
            cause=f"test:{time.monotonic_ns()}", index=0, text_key="test", body=body, buttons=buttons,
            survivor_id=self.sid, identity_id=self.iid, sensitive=sensitive, urgent=urgent,
        )

    async def outbox(self) -> list[OutboundMessage]:
        return await running.outbox(self.svc)

    async def inbound(self) -> list[InboundMessage]:
        return await running.inbound(self.svc)

    async def settled(self, within: float = 60.0) -> None:
        """Nothing due is left: every outbox row is final, held, or scheduled for later (quick
        exit queues a re-check of her contact route for the next day)."""
        await wait_until(lambda: running.nothing_due(self.svc), within=within)

    async def quick_exit(self, cause: str = "qx", now: datetime | None = None) -> int:
        """Her quick exit, and the flow's cover message queued after it in the same transaction."""
        async with self.svc.db.transaction() as s:
            survivor, identity = await s.get(Survivor, self.sid), await s.get(ChannelIdentity, self.iid)
            assert survivor is not None and identity is not None
            count = await quick_exit(s, survivor, identity, cause, now or datetime.now(UTC))
            self.queue(s, COVER, sensitive=False)
        self.svc.dispatcher.wake()
        return count

    async def cover_sent(self) -> bool:
        rows = await self.outbox()
        return any(r.kind == "send" and r.status == "sent" and r.body == COVER for r in rows)

    async def age(self, ours: list[int], hers: list[int], by: timedelta) -> None:
        """Our records of these messages (by message id), as if written `by` earlier."""
        async with self.svc.db.transaction() as s:
            for row in (await s.scalars(select(OutboundMessage).where(
                    OutboundMessage.provider_message_id.in_([str(i) for i in ours])))).all():
                row.sent_at = row.sent_at - by if row.sent_at else None
                row.expires_at = row.expires_at - by if row.expires_at else None
            for inbound in (await s.scalars(select(InboundMessage))).all():  # the id is encrypted
                if inbound.provider_message_id in {str(i) for i in hers}:
                    inbound.received_at -= by

    def screen(self) -> list[dict[str, Any]]:
        return self.fake.screen(CHAT)

    def deleted_batches(self) -> list[list[int]]:
        return [list(c.params["message_ids"]) for c in self.fake.calls("deleteMessages")]


@asynccontextmanager
async def phone(env: dict[str, object], keyring: KeyRing, fake: FakeTelegram, *, clock: Clock | None = None,
                people: tuple[int, int] | None = None, **survivor_fields: Any) -> AsyncIterator[Phone]:
    """The service serving its webhook, and an enrolled survivor on Telegram (or `people`)."""
    async with running.serving(env, keyring, clock=clock) as (svc, base), aiohttp.ClientSession() as http:
        if people is None:
            people = await enrolled(svc.db, keyring, channel="telegram", address=str(CHAT),
                                    pseudonym="ps-his-side", **survivor_fields)
        yield Phone(svc, fake, base + WEBHOOK_PATH, http, *people)


async def conversation(p: Phone, hers: int, ours: int, rounds: int = 5, **send: Any) -> tuple[list[int], list[int]]:
    """A back-and-forth: `rounds` turns of some of hers then some of ours. Returns both id lists."""
    her_ids: list[int] = []
    our_ids: list[int] = []
    for r in range(rounds):
        her_ids += await p.she_writes(hers * (r + 1) // rounds - hers * r // rounds)
        our_ids += await p.we_send(ours * (r + 1) // rounds - ours * r // rounds, **send)
    return her_ids, our_ids


async def stored_outbox(database_url: str, keyring: KeyRing) -> list[OutboundMessage]:
    """The outbox as a new process would find it."""
    db = Database(database_url, keyring)
    try:
        async with db.sessions() as s:
            return list((await s.scalars(select(OutboundMessage).order_by(OutboundMessage.id))).all())
    finally:
        await db.dispose()


def young(screen: list[dict[str, Any]], fake: FakeTelegram) -> list[dict[str, Any]]:
    """Messages on her phone that a bot could still delete (younger than 48 hours)."""
    return [m for m in screen if fake.now() - m["date"] < 48 * HOUR]


# -- quick exit -------------------------------------------------------------------------------


async def test_quick_exit_of_250_messages_leaves_only_the_cover(env, keyring, fake, quiet_conversation) -> None:
    async with phone(env, keyring, fake) as p:
        menu = (Button("m:weather", "Weather"), Button("m:more", "More"))
        her_ids, our_ids = await conversation(p, 125, 125, buttons=menu)
        # she pressed buttons under three of our messages: presses are not messages, and the
        # message they sit under must be deleted once, not counted twice
        for message_id in our_ids[:3]:
            await p.she_presses(message_id, "m:weather")
        screen = p.screen()
        assert len(screen) == 250
        assert [m["from"] for m in screen].count("user") == 125
        assert {m["message_id"] for m in screen} == set(her_ids) | set(our_ids)

        count = await p.quick_exit()
        assert count == 250
        await wait_until(p.cover_sent)
        await p.settled()
        rows, inbound = await p.outbox(), await p.inbound()
        async with p.svc.db.sessions() as s:
            audit = (await s.scalars(select(AuditEvent).where(AuditEvent.action == "quick_exit"))).one()

    # what he sees: the cover, and nothing else of ours or hers
    screen = p.screen()
    assert [(m["from"], m["text"]) for m in screen] == [("bot", COVER)]
    assert young(screen, fake) == screen
    # how: ceil(250 / 100) = 3 deleteMessages calls, every message exactly once
    batches = p.deleted_batches()
    assert len(batches) <= 3
    assert sorted(len(b) for b in batches) == [50, 100, 100]
    deleted = [i for b in batches for i in b]
    assert len(deleted) == len(set(deleted)) == 250
    assert set(deleted) == set(her_ids) | set(our_ids)
    assert fake.calls("deleteMessage") == []  # no one-by-one fallback
    # the cover was asked for only after the last deletion
    cover_call = [c for c in fake.calls("sendMessage") if c.params["text"] == COVER]
    assert len(cover_call) == 1 and cover_call[0].at > fake.calls("deleteMessages")[-1].at
    # and in our records: the content of what was deleted is gone too
    sends = [r for r in rows if r.kind == "send" and r.text_key == "test" and r.body != COVER]
    assert len(sends) == 125 and all(r.deleted_at is not None and r.body is None for r in sends)
    assert len(inbound) == 128 and all(r.deleted_at is not None and r.body is None for r in inbound)
    deletes = [r for r in rows if r.kind == "delete"]
    assert len(deletes) == 3 and all(r.status == "sent" and r.address == "" for r in deletes)
    assert audit.details == {"channel": "telegram", "messages_deleted": 250}


async def test_messages_older_than_48_hours_are_left_out_of_the_batches(env, keyring, fake,
                                                                         quiet_conversation) -> None:
    """Telegram would refuse them: they are not asked for, not counted, and stay on her phone
    (cover content only by then, since sensitive messages expire within 24 hours)."""
    async with phone(env, keyring, fake) as p:
        old_hers = await p.she_writes(2, "old words")
        old_ours = await p.we_send(2, sensitive=False, words="Old forecast")
        fake.advance(2 * HOUR)
        edge_hers = await p.she_writes(1, "edge words")  # 47 hours old: still deletable
        edge_ours = await p.we_send(1, sensitive=False, words="Edge forecast")
        fake.advance(47 * HOUR)
        # our records age with her phone: the first turn 49 hours ago, the second 47
        await p.age(old_ours, old_hers, timedelta(hours=49))
        await p.age(edge_ours, edge_hers, timedelta(hours=47))
        new_hers, new_ours = await conversation(p, 3, 3, rounds=3)

        count = await p.quick_exit()
        await wait_until(p.cover_sent)

    deletable = edge_hers + edge_ours + new_hers + new_ours
    assert count == len(deletable) == 8
    [batch] = p.deleted_batches()
    assert sorted(batch) == sorted(deletable)
    assert not set(batch) & set(old_hers + old_ours)
    screen = p.screen()
    assert [m["message_id"] for m in screen[:-1]] == sorted(old_hers + old_ours)
    assert screen[-1]["text"] == COVER
    assert young(screen, fake) == [screen[-1]]  # nothing younger than 48 hours but the cover


async def test_a_message_sent_while_quick_exit_runs_is_deleted_too(env, keyring, fake, quiet_conversation) -> None:
    """A send already on its way when she presses quick exit lands after the deletions were
    planned; it must not be left on her screen."""
    async with phone(env, keyring, fake) as p:
        await conversation(p, 3, 3, rounds=3)
        fake.delay("sendMessage", 0.4)
        async with p.svc.db.transaction() as s:
            p.queue(s, "our answer on its way")
        p.svc.dispatcher.wake()

        async def in_flight() -> bool:
            return any(r.status == "sending" for r in await p.outbox()) and len(fake.calls("sendMessage")) == 4
        await wait_until(in_flight)
        await p.quick_exit()
        await wait_until(p.cover_sent)
        await p.settled()
        rows = await p.outbox()

    assert [(m["from"], m["text"]) for m in p.screen()] == [("bot", COVER)]
    late = [r for r in rows if r.body is None and r.kind == "send" and r.status == "sent" and r.deleted_at]
    assert len(late) == 4  # three of the conversation and the one in flight, all emptied


@pytest.mark.parametrize("she_writes_after", [False, True], ids=["newest", "between-hers"])
async def test_a_send_in_doubt_when_she_quick_exits_is_found_by_its_number_and_deleted(
        env, keyring, fake, quiet_conversation, she_writes_after) -> None:
    """Telegram took our message but its answer never came (in doubt: we never learnt its id), and
    she pressed quick exit meanwhile. A chat's ids count up, so the deletion also asks for the ids
    between and just after the ones we know: nothing of ours may stay on her screen."""
    async with phone({**env, "SEND_TIMEOUT_SECONDS": 0.5}, keyring, fake) as p:
        await conversation(p, 3, 3, rounds=3)
        fake.hang("sendMessage")  # it reaches her phone; the answer is lost
        async with p.svc.db.transaction() as s:
            p.queue(s, "our answer in doubt")
        p.svc.dispatcher.wake()
        await wait_until(lambda: "our answer in doubt" in fake.bot_texts(CHAT))
        if she_writes_after:
            await p.she_writes(1, "her exit word")  # her id comes after the one we never learnt
        await p.quick_exit()
        await wait_until(p.cover_sent)
        await p.settled()
        rows = await p.outbox()

    assert [(m["from"], m["text"]) for m in p.screen()] == [("bot", COVER)]
    assert [r.status for r in rows if r.kind == "send" and r.body is None and r.provider_message_id is None] == [
        "in_doubt"]  # a worker is still told: it may have been seen before she left


async def test_a_rate_limited_deletion_is_retried_and_still_finishes(env, keyring, fake, quiet_conversation) -> None:
    async with phone(env, keyring, fake) as p:
        her_ids, our_ids = await conversation(p, 15, 15, rounds=3)
        fake.rate_limit("deleteMessages", retry_after=1)
        await p.quick_exit()
        await wait_until(p.cover_sent)

    calls = fake.calls("deleteMessages")
    assert len(calls) == 2  # the refused call, then the same batch again
    assert calls[0].params["message_ids"] == calls[1].params["message_ids"]
    assert calls[1].at - calls[0].at >= 0.98  # waited for retry_after
    assert {i for c in calls for i in c.params["message_ids"]} == set(her_ids) | set(our_ids)
    assert [(m["from"], m["text"]) for m in p.screen()] == [("bot", COVER)]


@pytest.mark.parametrize("restart", ["after_the_lease", "within_the_lease"])
async def test_a_restart_in_the_middle_of_quick_exit_still_finishes_it(env, keyring, fake, quiet_conversation,
                                                                       restart: str) -> None:
    """The process dies with a deletion claimed and unanswered. A new process on the same
    database finishes it, whether it starts after the dead claim's lease ran out (recovered at
    start) or while it still runs (a supervisor restarting at once: recovered when it runs out)."""
    async with phone(env, keyring, fake) as p:
        her_ids, our_ids = await conversation(p, 90, 20, rounds=2)
        people = (p.sid, p.iid)
        fake.delay("deleteMessages", 0)  # the first batch goes through
        fake.hang("deleteMessages", apply=False)  # the second is never answered (nor done)
        await p.quick_exit()
        await wait_until(lambda: len(fake.calls("deleteMessages")) == 2)
    # the process is gone: the first batch done, the second claimed, the cover not sent
    statuses = [r.status for r in await stored_outbox(str(env["DATABASE_URL"]), keyring)
                if r.kind == "delete" or r.body == COVER]
    assert statuses == ["sent", "sending", "pending"]
    assert len(p.screen()) == 10

    clock = Clock()
    if restart == "after_the_lease":
        clock.offset = timedelta(seconds=61)
    async with phone(env, keyring, fake, clock=clock, people=people) as q:
        if restart == "within_the_lease":
            await q.svc.dispatcher.passes(3)  # the claim may still belong to a live process
            assert len(fake.calls("deleteMessages")) == 2 and not await q.cover_sent()
            clock.offset = timedelta(seconds=61)
        await wait_until(q.cover_sent)

    batches = q.deleted_batches()
    assert len(batches) == 3 and batches[1] == batches[2]  # the hung batch, done again
    assert {i for b in batches for i in b} == set(her_ids) | set(our_ids)
    assert [(m["from"], m["text"]) for m in q.screen()] == [("bot", COVER)]


async def test_with_the_live_flows_quick_exit_leaves_only_the_cover(env, keyring, fake) -> None:
    """The flows answer as they do (text and buttons); whatever they said goes."""
    async with phone(env, keyring, fake) as p:
        await p.she_writes(4, "hello there")
        await p.settled()
        with_buttons = [m for m in p.screen() if m["from"] == "bot" and m["buttons"]]
        if with_buttons:
            await p.she_presses(with_buttons[-1]["message_id"], with_buttons[-1]["buttons"][0][0])
            await p.settled()
        await p.we_send(2)
        assert len(p.screen()) >= 6
        await p.quick_exit()
        await wait_until(p.cover_sent)
    assert [(m["from"], m["text"]) for m in p.screen()] == [("bot", COVER)]


# -- expiry -----------------------------------------------------------------------------------


async def test_expired_sensitive_messages_vanish_from_her_phone_and_our_records(env, keyring, fake,
                                                                               quiet_conversation) -> None:
    async with phone(env, keyring, fake, expiry_minutes=5) as p:
        hers = await p.she_writes(2)
        sensitive = await p.we_send(3, words="how safe do you feel")
        cover = await p.we_send(2, sensitive=False, words="Forecast")
        async with p.svc.db.transaction() as s:
            queued = await expire_due(s, datetime.now(UTC) + timedelta(minutes=6))
        p.svc.dispatcher.wake()
        await wait_until(lambda: bool(fake.calls("deleteMessages")))
        await p.settled()
        rows, inbound = await p.outbox(), await p.inbound()

    assert queued == 5
    assert sorted(p.deleted_batches()[0]) == sorted(hers + sensitive)
    assert [m["message_id"] for m in p.screen()] == cover
    assert all("safe" not in m["text"] and "her words" not in m["text"] for m in p.screen())
    by_id = {r.provider_message_id: r for r in rows if r.kind == "send"}
    for message_id in sensitive:
        row = by_id[str(message_id)]
        assert row.body is None and row.deleted_at is not None
    for message_id in cover:
        assert by_id[str(message_id)].body is not None
    assert all(r.body is None and r.deleted_at is not None for r in inbound)


async def test_a_sensitive_message_past_the_window_is_still_emptied_in_our_records(env, keyring, fake,
                                                                                  quiet_conversation) -> None:
    """The service was down for two days: the Bot API can no longer delete the message, so it
    stays on her phone, but our copy of its content must still go (and only once)."""
    async with phone(env, keyring, fake, expiry_minutes=5) as p:
        await p.she_writes(1)
        late = await p.we_send(2, words="how safe do you feel")
        await p.age(late, [], timedelta(hours=49))
        fake.advance(49 * HOUR)
        async with p.svc.db.transaction() as s:
            first = await expire_due(s, datetime.now(UTC))
        async with p.svc.db.transaction() as s:
            again = await expire_due(s, datetime.now(UTC))
        await p.svc.dispatcher.passes()
        rows = [r for r in await p.outbox() if r.kind == "send"]

    assert (first, again) == (2, 0)
    assert fake.calls("deleteMessages") == []  # nothing Telegram would accept
    assert all(r.body is None and r.deleted_at is not None for r in rows)
    assert [m["message_id"] for m in p.screen() if m["from"] == "bot"] == late
