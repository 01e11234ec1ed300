"""The Telegram channel against a fake Bot API that speaks the real wire format.

The service runs for real (database on SQLite and PostgreSQL, dispatcher, webhook route) and the
assertions look at what the provider received and what her phone would show, not only at routes.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from bot.channels.base import Button, OutgoingMessage, SendError
from bot.channels.telegram.channel import TelegramChannel
from bot.channels.telegram.webhook import WEBHOOK_PATH
from bot.service import Service
from bot.settings import load_settings
from bot.storage.models import ChannelIdentity, Escalation, Survivor
from safety.crypto import KeyRing
from tests.support.fake_telegram import FakeTelegram, deliver
from tests.support.running import inbound, outbox, serving, wait_until
from tests.support.running import telegram_env as support_telegram_env

TOKEN = "123456:TEST-token-not-real"
SECRET = "webhook_secret-for-tests_0123456789"
CHAT = 918273645  # distinctive, so the log test can look for it
NEUTRAL_WORDS = ("abuse", "violence", "programme", "safety", "support", "liaison")


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(TOKEN) as server:
        yield server


@pytest.fixture
def telegram_env(settings_env: dict[str, object], fake: FakeTelegram) -> dict[str, object]:
    return support_telegram_env(settings_env, fake, SECRET)


@asynccontextmanager
async def running(env: dict[str, object], keyring: KeyRing, **overrides: object) -> AsyncIterator[tuple[Service, str]]:
    """The whole service serving HTTP; yields it and its webhook URL."""
    async with serving({**env, **overrides}, keyring) as (svc, base):
        yield svc, base + WEBHOOK_PATH


async def settled(svc: Service) -> None:
    """Nothing left to send now: every row has reached a final (or waiting) state."""
    async def done() -> bool:
        return all(row.status not in ("pending", "sending") for row in await outbox(svc))
    await wait_until(done)
    await svc.dispatcher.dispatch_due()


def channel_for(fake_url: str, **overrides: object) -> TelegramChannel:
    settings = load_settings(**{
        "LIAISON_ENV": "test", "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_BASE": fake_url, "SEND_TIMEOUT_SECONDS": 2, **overrides,
    })
    return TelegramChannel(settings)


# -- the webhook ------------------------------------------------------------------------------


async def test_a_forged_webhook_is_rejected_and_nothing_is_stored(telegram_env, keyring, fake) -> None:
    async with running(telegram_env, keyring) as (svc, hook):
        update = fake.user_sends(CHAT, "hello")
        assert await deliver(update, hook, None) == 401
        assert await deliver(update, hook, "not-the-secret") == 401
        assert await deliver(update, hook, SECRET[:-1]) == 401
        await svc.dispatcher.passes()
        assert await inbound(svc) == []
        assert await outbox(svc) == []
    assert fake.calls("sendMessage") == []


async def test_a_stranger_gets_exactly_one_neutral_reply_in_her_chat(telegram_env, keyring, fake) -> None:
    async with running(telegram_env, keyring) as (svc, hook):
        assert await deliver(fake.user_sends(CHAT, "hello?"), hook, SECRET) == 200
        await wait_until(lambda: len(fake.bot_texts(CHAT)) >= 1)
        await settled(svc)
    screen = fake.screen(CHAT)
    assert [m["from"] for m in screen] == ["user", "bot"]
    assert len(fake.calls("sendMessage")) == 1
    lowered = screen[1]["text"].lower()
    assert not any(word in lowered for word in NEUTRAL_WORDS)


async def test_a_replayed_update_is_processed_and_answered_once(telegram_env, keyring, fake) -> None:
    async with running(telegram_env, keyring) as (svc, hook):
        update = fake.user_sends(CHAT, "hi")
        for _ in range(3):
            assert await deliver(update, hook, SECRET) == 200
        await wait_until(lambda: len(fake.bot_texts(CHAT)) >= 1)
        await settled(svc)
        rows = await inbound(svc)
    assert len(rows) == 1 and rows[0].provider_id.startswith(f"{update['update_id']}:")
    assert len(fake.calls("sendMessage")) == 1
    assert [m["from"] for m in fake.screen(CHAT)] == ["user", "bot"]


async def test_her_message_id_is_kept_for_deletion(telegram_env, keyring, fake) -> None:
    async with running(telegram_env, keyring) as (svc, hook):
        update = fake.user_sends(CHAT, "hello")
        assert await deliver(update, hook, SECRET) == 200
        await settled(svc)
        [row] = await inbound(svc)
        [sent] = await outbox(svc)
    assert row.provider_message_id == str(update["message"]["message_id"])
    assert row.sender == str(CHAT) and row.body == "hello"
    bot_message = [m for m in fake.screen(CHAT) if m["from"] == "bot"][0]
    assert sent.status == "sent" and sent.provider_message_id == str(bot_message["message_id"])


async def test_a_button_press_becomes_one_event_and_is_answered(telegram_env, keyring, fake) -> None:
    async with running(telegram_env, keyring) as (svc, hook):
        fake.user_sends(CHAT, "hi")  # the chat exists once she has written
        channel = svc.channels["telegram"]
        sent = await channel.send(OutgoingMessage(str(CHAT), "Pick one", "key-buttons",
                                                  (Button("menu:weather", "Weather"), Button("menu:exit", "Exit"))))
        update = fake.user_presses(CHAT, int(sent.provider_message_id), "menu:exit")
        assert await deliver(update, hook, SECRET) == 200
        await wait_until(lambda: len(fake.bot_texts(CHAT)) >= 2)
        await settled(svc)
        [row] = await inbound(svc)
    assert row.button == "menu:exit" and row.body is None
    assert row.provider_message_id == sent.provider_message_id  # the message the button sits under
    query_id = update["callback_query"]["id"]
    assert list(fake.answered_callbacks) == [query_id]
    sent_buttons = fake.calls("sendMessage")[0].params["reply_markup"]["inline_keyboard"]
    assert sent_buttons == [[{"text": "Weather", "callback_data": "menu:weather"}],
                            [{"text": "Exit", "callback_data": "menu:exit"}]]


async def test_malformed_and_unsupported_updates_store_nothing(telegram_env, keyring, fake) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with running(telegram_env, keyring) as (svc, hook), aiohttp.ClientSession() as http:
        for body in ("not json", "[1, 2]", '{"no_update_id": true}'):
            async with http.post(hook, data=body, headers={**headers, "Content-Type": "application/json"}) as r:
                assert r.status == 400, body
        edited = fake.raw_update("edited_message", {"message_id": 1, "date": 0, "text": "secret words",
                                                    "chat": {"id": CHAT, "type": "private"}})
        future = fake.raw_update("some_future_kind", {"anything": 1})
        group = fake.user_sends(-100200300, "hi all", chat_type="group")
        for update in (edited, future, group):
            assert await deliver(update, hook, SECRET) == 200
        await svc.dispatcher.passes()
        assert await inbound(svc) == []
    assert fake.calls("sendMessage") == []


async def test_an_update_that_cannot_be_stored_is_not_acknowledged(telegram_env, keyring, fake,
                                                                 monkeypatch) -> None:
    async with running(telegram_env, keyring) as (svc, hook):
        async def broken(_event: Any) -> None:
            raise RuntimeError("database is down")
        monkeypatch.setattr(svc.pipeline, "accept", broken)
        assert await deliver(fake.user_sends(CHAT, "hello"), hook, SECRET) == 500


# -- sending, retries and failures ------------------------------------------------------------


async def test_a_rate_limit_is_retried_after_retry_after_and_delivered_once(telegram_env, keyring, fake) -> None:
    fake.rate_limit("sendMessage", retry_after=1)
    async with running(telegram_env, keyring) as (svc, hook):
        assert await deliver(fake.user_sends(CHAT, "hello"), hook, SECRET) == 200
        await wait_until(lambda: len(fake.bot_texts(CHAT)) >= 1)
        await settled(svc)
        [row] = await outbox(svc)
    first, second = fake.calls("sendMessage")
    assert second.at - first.at >= 0.98  # the retry waited for retry_after (recorded by the fake)
    assert len(fake.bot_texts(CHAT)) == 1
    assert row.status == "sent" and row.attempts == 2


async def test_a_server_error_is_retried_and_delivered_once(telegram_env, keyring, fake) -> None:
    fake.server_error("sendMessage")
    async with running(telegram_env, keyring) as (svc, hook):
        assert await deliver(fake.user_sends(CHAT, "hello"), hook, SECRET) == 200
        await wait_until(lambda: len(fake.bot_texts(CHAT)) >= 1)
        await settled(svc)
        [row] = await outbox(svc)
    assert len(fake.calls("sendMessage")) == 2
    assert len(fake.bot_texts(CHAT)) == 1
    assert row.status == "sent"


async def test_a_timeout_leaves_the_message_in_doubt_and_never_sends_it_again(telegram_env, keyring,
                                                                             fake) -> None:
    fake.hang("sendMessage")  # the message reaches her phone, the answer never comes
    async with running(telegram_env, keyring, SEND_TIMEOUT_SECONDS=0.5) as (svc, hook):
        assert await deliver(fake.user_sends(CHAT, "hello"), hook, SECRET) == 200

        async def in_doubt() -> bool:
            rows = await outbox(svc)
            return bool(rows) and rows[0].status == "in_doubt"
        await wait_until(in_doubt)
        await svc.dispatcher.dispatch_due()
        await svc.dispatcher.passes(3)
    assert len(fake.calls("sendMessage")) == 1
    assert len(fake.bot_texts(CHAT)) == 1  # it went out once, and only once


async def test_a_blocked_bot_fails_the_row_and_stops_the_identity(telegram_env, keyring, fake) -> None:
    async with running(telegram_env, keyring) as (svc, hook):
        async with svc.db.transaction() as s:
            survivor = Survivor(pseudonym="tg-blocked-1", status="active")
            s.add(survivor)
            await s.flush()
            s.add(ChannelIdentity(survivor_id=survivor.id, channel="telegram", address=str(CHAT),
                                  address_index=keyring.blind_index("telegram", str(CHAT)), status="active"))
        update = fake.user_sends(CHAT, "hello")
        fake.block(CHAT)
        assert await deliver(update, hook, SECRET) == 200
        await settled(svc)
        [row] = await outbox(svc)
        async with svc.db.sessions() as s:
            identity = await s.scalar(select(ChannelIdentity))
            survivor_row = await s.scalar(select(Survivor))
            reasons = (await s.scalars(select(Escalation.reason))).all()
    assert row.status == "failed" and row.last_error == "telegram.blocked"
    assert identity is not None and identity.status == "stopped"
    assert survivor_row is not None and survivor_row.status == "stopped"
    assert list(reasons) == ["recipient_gone"]
    assert len(fake.calls("sendMessage")) == 1  # a permanent failure is not retried
    assert fake.bot_texts(CHAT) == []


# -- the channel on its own -------------------------------------------------------------------


async def test_deleting_250_messages_takes_three_batches_of_at_most_100(fake) -> None:
    fake.user_sends(CHAT, "hi")
    ids = fake.add_messages(CHAT, 250)
    channel = channel_for(fake.url)
    try:
        await channel.delete(str(CHAT), [str(i) for i in ids])
    finally:
        await channel.close()
    sizes = [len(c.params["message_ids"]) for c in fake.calls("deleteMessages")]
    assert sizes == [100, 100, 50]
    assert [m["from"] for m in fake.screen(CHAT)] == ["user"]  # only what was not asked for remains


async def test_the_fake_refuses_more_than_100_ids_like_telegram(fake) -> None:
    fake.user_sends(CHAT, "hi")
    async with aiohttp.ClientSession() as http:
        resp = await http.post(f"{fake.url}/bot{TOKEN}/deleteMessages",
                               json={"chat_id": CHAT, "message_ids": list(range(1, 102))})
        body = await resp.json()
    assert resp.status == 400 and body["ok"] is False and body["error_code"] == 400


async def test_a_button_payload_over_64_bytes_is_refused_before_sending(fake) -> None:
    fake.user_sends(CHAT, "hi")
    channel = channel_for(fake.url)
    try:
        with pytest.raises(SendError) as caught:
            await channel.send(OutgoingMessage(str(CHAT), "Pick", "k-long", (Button("é" * 33, "Too long"),)))
    finally:
        await channel.close()
    assert not caught.value.retryable and not caught.value.in_doubt
    assert fake.calls("sendMessage") == []


async def test_a_chat_that_never_wrote_is_reported_gone(fake) -> None:
    channel = channel_for(fake.url)
    try:
        with pytest.raises(SendError) as caught:
            await channel.send(OutgoingMessage("555000111", "Hello", "k-nochat"))
    finally:
        await channel.close()
    assert caught.value.recipient_gone and caught.value.code == "telegram.chat_not_found"


async def test_an_unreachable_api_is_retryable_not_in_doubt() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again below: nothing listens there
    channel = channel_for(f"http://127.0.0.1:{port}")
    try:
        with pytest.raises(SendError) as caught:
            await channel.send(OutgoingMessage("42", "Hello", "k-unreachable"))
    finally:
        await channel.close()
    assert caught.value.retryable and not caught.value.in_doubt


@pytest.mark.parametrize(("status", "html", "retryable"), [
    (502, True, True), (503, True, True), (502, False, True), (503, False, True),  # never reached Telegram
    (504, True, False), (504, False, False),  # the gateway waited for Telegram, which may have sent it
])
async def test_a_gateway_error_page_is_retried_unless_the_gateway_timed_out_waiting(fake, status, html,
                                                                                  retryable) -> None:
    fake.chat(CHAT)
    fake.gateway_outage(status, html=html)
    channel = channel_for(fake.url)
    try:
        with pytest.raises(SendError) as caught:
            await channel.send(OutgoingMessage(str(CHAT), "Hello", f"k-gateway-{status}-{html}"))
    finally:
        await channel.close()
    assert caught.value.retryable is retryable and caught.value.in_doubt is not retryable
    assert fake.gateway_refusals == 1 and fake.bot_texts(CHAT) == []


async def test_the_bot_apis_own_json_answer_to_a_502_is_still_a_retryable_server_error(fake) -> None:
    fake.chat(CHAT)
    fake.fail("sendMessage", 502, "Bad Gateway")
    channel = channel_for(fake.url)
    try:
        with pytest.raises(SendError) as caught:
            await channel.send(OutgoingMessage(str(CHAT), "Hello", "k-json-502"))
    finally:
        await channel.close()
    assert caught.value.retryable and caught.value.code == "telegram.server_error"


async def test_editing_replaces_text_and_keyboard_and_a_no_op_edit_is_fine(fake) -> None:
    fake.user_sends(CHAT, "hi")
    channel = channel_for(fake.url)
    try:
        sent = await channel.send(OutgoingMessage(str(CHAT), "Question?", "k-edit", (Button("a", "A"),)))
        await channel.edit(str(CHAT), sent.provider_message_id, "Thanks.")
        await channel.edit(str(CHAT), sent.provider_message_id, "Thanks.")  # "not modified": no error
    finally:
        await channel.close()
    bot_msg = fake.screen(CHAT)[-1]
    assert bot_msg["text"] == "Thanks." and bot_msg["buttons"] == [] and bot_msg["edited"] is True


async def test_the_api_base_setting_is_honoured_for_every_call(telegram_env, keyring, fake) -> None:
    async with running(telegram_env, keyring) as (svc, hook):
        await wait_until(lambda: bool(fake.calls("setWebhook")))
        status = await svc.channels["telegram"].status()
        await svc.channels["telegram"].status()  # cached: one getMe
        assert await deliver(fake.user_sends(CHAT, "hello"), hook, SECRET) == 200
        await settled(svc)
    assert status.ok and status.extra["bot"] == fake.bot_username
    assert len(fake.calls("getMe")) == 1
    assert {c.method for c in fake.calls()} >= {"setWebhook", "getMe", "sendMessage"}
    assert all(c.token_ok for c in fake.calls())
    [hook_call] = fake.calls("setWebhook")
    assert hook_call.params["url"] == "http://127.0.0.1:8080" + WEBHOOK_PATH
    assert hook_call.params["secret_token"] == SECRET
    assert hook_call.params["allowed_updates"] == ["message", "callback_query"]


async def test_polling_mode_receives_through_get_updates_and_answers_once(telegram_env, keyring, fake) -> None:
    env = {k: v for k, v in telegram_env.items() if k != "TELEGRAM_WEBHOOK_SECRET"}
    async with running(env, keyring, TELEGRAM_MODE="polling") as (svc, hook):
        await wait_until(lambda: bool(fake.calls("getUpdates")))
        update = fake.user_sends(CHAT, "hello")
        await wait_until(lambda: len(fake.bot_texts(CHAT)) >= 1)
        await wait_until(lambda: any(c.params.get("offset") == update["update_id"] + 1
                                     for c in fake.calls("getUpdates")))
        await settled(svc)
        assert len(await inbound(svc)) == 1
        assert await deliver(update, hook, "anything") == 401  # no webhook secret: the route admits nothing
    assert len(fake.calls("deleteWebhook")) == 1 and fake.calls("setWebhook") == []
    assert len(fake.calls("sendMessage")) == 1
    assert fake.pending_updates == []  # confirmed by the offset


async def test_logs_hold_no_chat_id_and_no_message_text(telegram_env, keyring, fake, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    words = "meet me at the bakery at noon"
    fake.server_error("sendMessage")
    async with running(telegram_env, keyring) as (svc, hook):
        update = fake.user_sends(CHAT, words)
        assert await deliver(update, hook, "forged") == 401
        assert await deliver(update, hook, SECRET) == 200
        await wait_until(lambda: len(fake.bot_texts(CHAT)) >= 1)
        await settled(svc)
        bot_id = fake.screen(CHAT)[-1]["message_id"]
        fake.chat(CHAT).messages[-1].reply_markup = {"inline_keyboard": [[{"text": "B", "callback_data": "b:1"}]]}
        assert await deliver(fake.user_presses(CHAT, bot_id, "b:1"), hook, SECRET) == 200
        await settled(svc)
        fake.block(CHAT)
        assert await deliver(fake.user_sends(CHAT, words), hook, SECRET) == 200
        await settled(svc)
    assert caplog.records, "expected the service to log something"
    for record in caplog.records:
        rendered = " ".join([record.getMessage(), repr(record.args), repr(getattr(record, "fields", "")),
                             record.exc_text or ""])
        assert str(CHAT) not in rendered, record.name
        assert words not in rendered and "bakery" not in rendered, record.name
    assert str(CHAT) not in caplog.text and "bakery" not in caplog.text


def test_the_channel_is_off_without_a_token_and_refuses_bad_settings() -> None:
    from bot.channels.registry import CHANNELS
    from bot.channels.telegram.webhook import channel_from_settings
    from bot.settings import SettingsError

    assert "telegram" in [entry.name for entry in CHANNELS]
    assert channel_from_settings(load_settings(LIAISON_ENV="test")) is None
    with pytest.raises(SettingsError) as bad_secret:
        channel_from_settings(load_settings(LIAISON_ENV="test", TELEGRAM_BOT_TOKEN=TOKEN,
                                            TELEGRAM_WEBHOOK_SECRET="has spaces and ü"))
    assert "has spaces" not in str(bad_secret.value)
    with pytest.raises(SettingsError) as bad_token:
        channel_from_settings(load_settings(LIAISON_ENV="test", TELEGRAM_BOT_TOKEN="not-a-token-value",
                                            TELEGRAM_WEBHOOK_SECRET=SECRET))
    assert "not-a-token-value" not in str(bad_token.value)
