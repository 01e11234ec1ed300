"""Inbound under saturation (issue 24): more deliveries than a process works on at once, or a
classifier that stops answering, must not hold up a danger text, nor make a webhook answer 5xx.

Each delivery is processed in a transaction that holds one of the database pool's connections
(24 a process) while the classifier thinks. Before, every delivery took one as it arrived: thirty
messages stuck on a slow classifier held them all, her danger text waited for a connection, her
emergency numbers could not be sent (the dispatcher had none either), and thirty seconds later the
pool gave up on the waiting deliveries, answered 500.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from sqlalchemy import select, text

from bot.channels.telegram.webhook import WEBHOOK_PATH
from bot.inbound import INBOUND_AT_ONCE, KEPT_FOR_URGENT
from bot.service import Service
from bot.storage.models import OutboundMessage, Survivor
from safety.crypto import KeyRing
from tests.support.fake_telegram import FakeTelegram, deliver
from tests.support.people import enrolled
from tests.support.running import serving, telegram_env, wait_until

TOKEN = "123456:TEST-token-not-real"
SECRET = "webhook_secret-for-tests_0123456789"
STUCK = 30  # more than a process's pool holds (bot.storage.db: 12 + 12)
HER = 555_000_999


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(TOKEN) as server:
        yield server


async def test_her_danger_text_is_answered_while_thirty_messages_wait_on_a_classifier_that_hangs(
        settings_env: dict[str, object], keyring: KeyRing, fake: FakeTelegram, database_url: str) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite has one writer: a transaction waiting on the classifier holds it (one process, "
                    "for development); the pool this test fills is PostgreSQL's")
    others = [555_000_000 + i for i in range(STUCK)]
    async with serving(telegram_env(settings_env, fake, SECRET), keyring) as (svc, base):
        for i, chat in enumerate([*others, HER]):
            await enrolled(svc.db, keyring, channel="telegram", address=str(chat), pseudonym=f"ps-stuck-{i}")
            fake.chat(chat)
        thinking = 0
        answer = asyncio.Event()

        async def hanging(_text: str, _locale: str) -> str | None:  # a Rasa server that stopped answering
            nonlocal thinking
            thinking += 1
            await answer.wait()
            return None

        svc.pipeline.interpreter = hanging
        hook = base + WEBHOOK_PATH
        async with aiohttp.ClientSession() as http:
            stuck = [asyncio.create_task(deliver(fake.user_sends(chat, "what about the weather on sunday"), hook,
                                                 SECRET, session=http)) for chat in others]
            await wait_until(lambda: thinking >= INBOUND_AT_ONCE - KEPT_FOR_URGENT)
            danger = await deliver(fake.user_sends(HER, "he is outside my door right now"), hook, SECRET,
                                   session=http)
            assert danger == 200
            await wait_until(lambda: fake.bot_texts(HER))  # her emergency numbers
            assert not any(task.done() for task in stuck)  # the others are still waiting on the classifier
            answer.set()
            assert await asyncio.gather(*stuck) == [200] * STUCK
        await wait_until(lambda: all(fake.bot_texts(chat) for chat in others))



async def test_a_message_arriving_while_her_danger_text_is_handled_waits_until_her_numbers_are_claimed(
        settings_env: dict[str, object], keyring: KeyRing, fake: FakeTelegram, database_url: str) -> None:
    """Asyncio has no priorities: on a saturated process her danger text's every statement waited a lap
    of the loop behind the ordinary deliveries in progress (bot.outbox.urgent_first). Here her text's
    handling is slowed by a lock on her record (another transaction holds it) until a message from
    someone else has arrived; that message's text is read only once her emergency numbers are claimed."""
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite has one writer: the lock that slows her text would stop every transaction (one "
                    "process, for development); the saturated processes are PostgreSQL's")
    other = 555_000_100
    async with serving(telegram_env(settings_env, fake, SECRET), keyring) as (svc, base):
        her_id, _ = await enrolled(svc.db, keyring, channel="telegram", address=str(HER), pseudonym="ps-first-0")
        await enrolled(svc.db, keyring, channel="telegram", address=str(other), pseudonym="ps-first-1")
        for chat in (HER, other):
            fake.chat(chat)
        her_index = keyring.blind_index("telegram", str(HER))
        numbers_claimed_when_read: list[bool] = []

        async def reading(_text: str, _locale: str) -> str | None:
            async with svc.db.reads() as s:
                claimed = await s.scalar(select(OutboundMessage.id).where(
                    OutboundMessage.recipient_index == her_index, OutboundMessage.urgent.is_(True),
                    OutboundMessage.first_attempt_at.isnot(None)))
            numbers_claimed_when_read.append(claimed is not None)
            return None

        svc.pipeline.interpreter = reading
        hook = base + WEBHOOK_PATH
        async with aiohttp.ClientSession() as http, svc.db.transaction() as locking:
            await locking.execute(select(Survivor.id).where(Survivor.id == her_id).with_for_update())
            danger = asyncio.create_task(deliver(fake.user_sends(HER, "he is outside my door right now"), hook,
                                                 SECRET, session=http))
            await wait_until(lambda: waiting_on_a_lock(svc))
            ordinary = asyncio.create_task(deliver(fake.user_sends(other, "what about the weather on sunday"), hook,
                                                   SECRET, session=http))
            await wait_until(lambda: svc.pipeline.urgent_first.waiting == 1)
            await locking.commit()  # her text goes on
            assert await asyncio.gather(danger, ordinary) == [200, 200]
        assert numbers_claimed_when_read == [True]
        await wait_until(lambda: fake.bot_texts(HER) and fake.bot_texts(other))


async def waiting_on_a_lock(svc: Service) -> bool:
    async with svc.db.reads() as s:
        return bool(await s.scalar(text("SELECT count(*) FROM pg_locks WHERE NOT granted")))
