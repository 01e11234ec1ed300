"""Issue 6 from his side of the phone, on SMS: the real twilio client against the fake Twilio,
signed webhooks into the running service (database on SQLite and PostgreSQL), the live flows.

An SMS cannot be unsent: her phone's thread keeps what already arrived (the tests check that it
is left exactly as it was, with nothing new). What quick exit can do, and these tests check:
nothing more reaches her number while outbound is paused (except urgent messages she asked for),
Twilio's records of the conversation (hers and ours) are deleted, and what was held goes out
once the pause is over. Time is moved on through the dispatcher's clock.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from bot.actions.erasure import erase_survivor
from bot.actions.quick_exit import DEFAULT_SMS_PAUSE_HOURS, quick_exit
from bot.outbox.enqueue import enqueue
from bot.service import Service
from bot.storage.models import ChannelIdentity, OutboundMessage, Survivor
from safety.crypto import KeyRing
from tests.support import running
from tests.support.db_scan import everything_stored
from tests.support.fake_twilio import FakeTwilio
from tests.support.people import enrolled
from tests.support.running import Clock

ACCOUNT_SID = "AC" + "0" * 31 + "2"
AUTH_TOKEN = "test-auth-token-not-a-secret-0002"
OUR_NUMBER = "+447700900000"
HER = "+447700900321"
PUBLIC = "https://liaison.example.org"
SMS_PATH = "/webhooks/twilio/sms"


wait_until = running.wait_until  # the default guard: a busy CI (stress-ng beside the suite) takes its time


@dataclass
class World:
    svc: Service
    fake: FakeTwilio
    local: str
    clock: Clock
    sid: int
    iid: int

    async def she_texts(self, body: str) -> str:
        form = self.fake.user_sends(HER, body)
        delivery = await self.fake.deliver(form, self.local + SMS_PATH, PUBLIC + SMS_PATH)
        assert delivery.status == 200
        return form["MessageSid"]

    async def queue(self, body: str, *, sensitive: bool = True, urgent: bool = False,
                    is_reply: bool = True) -> int:
        async with self.svc.db.transaction() as s:
            row = enqueue(s, channel="sms", address=HER, address_index=self.svc.keyring.blind_index("sms", HER),
                          cause=f"test:{time.monotonic_ns()}", index=0, text_key="test", body=body,
                          survivor_id=self.sid, identity_id=self.iid, sensitive=sensitive, urgent=urgent,
                          is_reply=is_reply)
            await s.flush()
            row_id = row.id
        self.svc.dispatcher.wake()
        return row_id

    async def outbox(self) -> list[OutboundMessage]:
        return await running.outbox(self.svc)

    async def row(self, row_id: int) -> OutboundMessage:
        async with self.svc.db.sessions() as s:
            row = await s.get(OutboundMessage, row_id)
        assert row is not None
        return row

    async def settled(self) -> None:
        """Nothing due is left: every row is final, held, or scheduled for later."""
        await wait_until(lambda: running.nothing_due(self.svc))
        await self.svc.dispatcher.dispatch_due()

    def her_records(self) -> set[str]:
        """Twilio's records of messages to or from her number."""
        return {sid for sid, r in self.fake.records.items() if HER in (r.to, r.from_)}


@pytest.fixture
async def world(settings_env: dict[str, object], keyring: KeyRing) -> AsyncIterator[World]:
    async with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN, OUR_NUMBER) as fake:
        env = running.twilio_env(settings_env, fake, PUBLIC, send_timeout=30, sms_rate=200)
        clock = Clock()
        async with running.serving(env, keyring, clock=clock) as (svc, local):
            fake.route_public(PUBLIC, local)
            sid, iid = await enrolled(svc.db, keyring, channel="sms", address=HER, pseudonym="ps-sms-side",
                                      display_name="Jo Example")
            yield World(svc, fake, local, clock, sid, iid)


async def a_conversation(w: World) -> set[str]:
    """She texts, the flows answer, we send sensitive messages: returns Twilio's records of it."""
    for words in ("meet me at the bakery at noon", "hello", "he checks my phone at night"):
        await w.she_texts(words)
        await w.settled()
    await w.queue("Your liaison worker will call on Tuesday about the programme")
    await w.queue("How safe do you feel this week?")
    await w.settled()
    records = w.her_records()
    assert len(records) >= 5 and len([e for e in w.fake.thread(HER) if e.direction == "to_her"]) >= 2
    return records


async def her_quick_exit(w: World) -> datetime:
    now = w.clock()
    async with w.svc.db.transaction() as s:
        survivor, identity = await s.get(Survivor, w.sid), await s.get(ChannelIdentity, w.iid)
        assert survivor is not None and identity is not None
        await quick_exit(s, survivor, identity, "qx-sms", now)
    w.svc.dispatcher.wake()
    await w.settled()
    return now + timedelta(hours=DEFAULT_SMS_PAUSE_HOURS)


@pytest.mark.at("2026-03-10T10:00:00+00:00")  # a weekday morning: her windows are open when the pause ends
async def test_quick_exit_deletes_twilios_records_and_nothing_reaches_her_while_paused(world: World) -> None:
    w = world
    records = await a_conversation(w)
    thread = w.fake.thread(HER)

    paused_until = await her_quick_exit(w)
    # Twilio no longer holds the conversation, hers or ours; her phone's thread is as it was
    assert records <= set(w.fake.deleted)
    assert w.her_records() == set()
    assert w.fake.thread(HER) == thread

    # while paused: nothing we start goes out (the gate's rule for answers to a text she sends
    # during the pause is the gate's own tests' business)
    notice = await w.queue("A routine notice", is_reply=False, sensitive=False)
    await w.settled()
    await w.svc.dispatcher.passes(3)
    assert w.fake.thread(HER) == thread
    held = await w.row(notice)
    assert held.status == "held" and held.sent_at is None and held.next_attempt_at == paused_until

    # the pause is over: what waited goes (with anything quick exit scheduled for then)
    w.clock.offset = timedelta(hours=DEFAULT_SMS_PAUSE_HOURS, minutes=1)
    w.svc.dispatcher.wake()
    await w.settled()
    sends = [r for r in await w.outbox() if r.kind == "send" and r.status not in ("cancelled",)]
    assert all(r.status == "sent" for r in sends if r.id >= notice)
    after = [r for r in sends if r.sent_at is not None and r.sent_at >= paused_until]
    later = [e.body for e in w.fake.thread(HER)[len(thread):]]
    assert len(later) == len(after) and "A routine notice" in later


async def test_an_urgent_message_still_goes_while_paused(world: World) -> None:
    w = world
    await a_conversation(w)
    await her_quick_exit(w)
    urgent = await w.queue("If you are in danger call 999", urgent=True, sensitive=False)
    await wait_until(lambda: "If you are in danger call 999" in w.fake.texts_to(HER))

    async def recorded_sent() -> bool:  # the provider has it; our record follows a moment later
        return (await w.row(urgent)).status == "sent"

    await wait_until(recorded_sent)


async def test_an_urgent_message_is_not_held_up_behind_a_held_one(world: World) -> None:
    """Her messages go in order, but a held one (or one scheduled for later, like quick exit's
    route re-check) must not keep emergency information waiting until the pause ends."""
    w = world
    await a_conversation(w)
    await her_quick_exit(w)
    await w.queue("A routine notice", is_reply=False, sensitive=False)
    await w.settled()
    await w.queue("If you are in danger call 999", urgent=True, sensitive=False)
    await wait_until(lambda: "If you are in danger call 999" in w.fake.texts_to(HER))
    assert "A routine notice" not in w.fake.texts_to(HER)


async def test_erasure_deletes_twilios_records_and_leaves_no_trace_of_her(world: World) -> None:
    w = world
    records = await a_conversation(w)
    async with w.svc.db.transaction() as s:
        survivor = await s.get(Survivor, w.sid)
        assert survivor is not None
        await erase_survivor(s, survivor, actor="survivor", reason="requested", now=w.clock())
    w.svc.dispatcher.wake()
    await w.settled()

    assert records <= set(w.fake.deleted)
    assert w.her_records() == set()
    stored = await everything_stored(w.svc.db)
    for trace in (HER, HER[1:], "7700900321", "bakery", "checks my phone", "liaison worker will call",
                  "How safe do you feel", "Jo Example", w.svc.keyring.blind_index("sms", HER)):
        assert trace not in stored, trace
    deletes = [r for r in await w.outbox() if r.kind == "delete"]
    assert deletes and all(r.status == "sent" and r.address == "" for r in deletes)
