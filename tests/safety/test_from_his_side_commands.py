"""Issue 22 from his side of the phone (the whole service against the fake Telegram Bot API and the
fake Twilio, en and de): her exit, stop and erasure only on her exact word or a button; her check-in
answers recorded as she chose them; no reply promising what was not recorded; the invitation inside
safe hours; "Sie" in German check-ins; her exit button under every message with buttons; typed times.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.storage.models import AuditEvent, Survivor
from tests.support.fake_telegram import deliver
from tests.support.her_phone import CHAT, SECRET, HerPhone, her_phone

COUNTRY = {"en": "GB", "de": "DE"}
T = {
    "en": {"menu": "MENU", "offer_exit": "Clear this chat now?", "offer_exit_sms": "stay quiet for a while",
           "yes_exit": "Yes, clear it", "yes_exit_sms": "Yes, stay quiet", "offer_stop": "stop all messages?",
           "unsubscribed": "unsubscribed", "no": "No"},
    "de": {"menu": "MENÜ", "offer_exit": "Diesen Chat jetzt leeren?", "offer_exit_sms": "eine Weile still",
           "yes_exit": "Ja, leeren", "yes_exit_sms": "Ja, still sein", "offer_stop": "Nachrichten beenden?",
           "unsubscribed": "abgemeldet", "no": "Nein"},
}


@pytest.fixture(params=("telegram", "sms"))
async def her(request: pytest.FixtureRequest, settings_env: dict[str, object], keyring) -> AsyncIterator[HerPhone]:
    async with her_phone(request.param, settings_env, keyring) as phone:
        yield phone


def guessing(intent: str | None) -> Any:
    """A classifier that reads every free text as `intent`: the worst guess it could make."""
    async def interpret(_text: str, _locale: str) -> str | None:
        return intent
    return interpret


async def her_row(her: HerPhone) -> Survivor:
    async with her.svc.db.sessions() as s:
        row = await s.scalar(select(Survivor))
    assert row is not None
    return row


async def quick_exits(her: HerPhone) -> int:
    async with her.svc.db.sessions() as s:
        return len((await s.scalars(select(AuditEvent).where(AuditEvent.action == "quick_exit"))).all())


async def photo(her: HerPhone, caption: str) -> None:
    """Telegram: she sends a photo with a caption (no text of its own)."""
    assert her.telegram is not None
    update = her.telegram.user_sends(CHAT, caption)
    message = update["message"]
    message.pop("text")
    message["caption"] = caption
    message["photo"] = [{"file_id": "AgAD-photo", "file_unique_id": "AQAD-photo", "width": 90, "height": 90}]
    assert await deliver(update, her.base + "/webhooks/telegram", SECRET, session=her.http) == 200
    await her.settled()


# -- item 4: nothing deletes, silences or erases on a guess --------------------------------------------

@pytest.mark.parametrize("locale", ("en", "de"))
async def test_a_word_the_classifier_reads_as_exit_leaves_her_chat_as_it_was_and_asks_first(
        her: HerPhone, locale: str) -> None:
    t = T[locale]
    await her.enrolled(locale=locale, country=COUNTRY[locale])
    await her.send(t["menu"])
    her.svc.pipeline.interpreter = guessing("quick_exit")
    before = her.screen_texts()
    offer = await her.send("look")
    sms = her.channel == "sms"
    assert offer.says(t["offer_exit_sms"] if sms else t["offer_exit"])
    assert her.screen_texts()[:len(before)] == before  # nothing was deleted
    assert await quick_exits(her) == 0 and (await her_row(her)).outbound_paused_until is None
    if not sms:  # a photo captioned "look" is the same free text
        await photo(her, "look")
        assert await quick_exits(her) == 0 and her.screen_texts()[:len(before)] == before
    await her.choose(t["yes_exit_sms"] if sms else t["yes_exit"])  # her button (SMS: its number) does it
    assert await quick_exits(her) == 1
    if sms:
        assert (await her_row(her)).outbound_paused_until is not None
    else:
        assert len(her.screen_texts()) == 1  # only her cover is left


@pytest.mark.parametrize("locale", ("en", "de"))
async def test_stop_inside_a_sentence_does_not_unsubscribe_her(her: HerPhone, locale: str) -> None:
    t = T[locale]
    await her.enrolled(locale=locale, country=COUNTRY[locale])
    her.svc.pipeline.interpreter = guessing("stop")
    words = {"en": "i took all my tablets i just want it to stop", "de": "ich will nur dass es aufhört, stopp"}
    reply = await her.send(words[locale])
    assert not reply.says(t["unsubscribed"])
    assert (await her_row(her)).status == "active"
    assert reply.says(t["offer_stop"])  # the guess may only ask
    stopped = await her.send("STOP" if locale == "en" else "Stopp!")  # her exact word does it at once
    assert stopped.says(t["unsubscribed"]) and (await her_row(her)).status == "stopped"


async def test_with_the_real_classifier_look_and_markup_wipe_nothing(her: HerPhone) -> None:
    await her.enrolled()
    await her.send("MENU")
    before = her.screen_texts()
    for words in ("look", "<b>look</b>", "<a href='x'>exit</a>"):
        await her.send(words)
    assert her.screen_texts()[:len(before)] == before
    assert await quick_exits(her) == 0 and (await her_row(her)).outbound_paused_until is None


@pytest.mark.parametrize("locale", ("en", "de"))
async def test_a_guessed_delete_my_data_erases_nothing(her: HerPhone, locale: str) -> None:
    await her.enrolled(locale=locale, country=COUNTRY[locale])
    her.svc.pipeline.interpreter = guessing("delete_data")
    await her.send("delete" if locale == "en" else "löschen")
    assert (await her_row(her)).status == "active"
