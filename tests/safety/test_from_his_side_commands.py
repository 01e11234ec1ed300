"""Issue 22 from his side of the phone (the whole service against the fake Telegram Bot API and the
fake Twilio, en and de): her exit, stop and erasure only on her exact word or a button; her check-in
answers recorded as she chose them; no reply promising what was not recorded; the invitation inside
safe hours; "Sie" in German check-ins; her exit button under every message with buttons; typed times.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from sqlalchemy import select

from bot.notices import review
from bot.storage.models import Answer, AuditEvent, CallbackRequest, Survivor, WaveInstance
from scheduler.jobs import WaveJobs
from tests.conversations.conftest import Chat, enrol
from tests.support.fake_telegram import deliver
from tests.support.her_phone import CHAT, PIN, SECRET, HerPhone, her_phone
from tests.support.http import serve_app
from tests.support.notices import at, drafted, worker

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
    """Her phone, with the scheduler's ticks run by the tests that need them: a wave tick that fired by
    itself mid-test (on a loaded machine, CI beside stress-ng) opened her check-in after the notice, and
    her "1" then answered the newer message, as it should."""
    async with her_phone(request.param, settings_env, keyring, timers=False) as phone:
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
    words = {"en": "can you stop the garden tips for a while", "de": "ich will nur dass es aufhört, stopp"}
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


# -- item 10: her exit button under every message with buttons; spent buttons go -------------------

EXIT = {"en": "🚪 Exit", "de": "🚪 Raus"}
DANGER = {"en": "he is here help me", "de": "er ist hier, hilfe"}


def without_exit(messages: list[dict[str, Any]], locale: str) -> list[str]:
    """Our messages on her screen that carry buttons but not her exit button."""
    return [str(m["text"])[:40] for m in messages
            if m["buttons"] and ("menu:exit", EXIT[locale]) not in [tuple(b) for b in m["buttons"]]]


async def approved(her: HerPhone, survivor_id: int, kind: str) -> int:
    made = await drafted(her.svc, survivor_id, kind)
    assert made is not None
    ana, sam = await worker(her.svc, "ana", ["liaison"]), await worker(her.svc, "sam", ["supervisor"])
    async with her.svc.db.transaction() as s:
        row = await s.get(type(made), made.id)
        await review.approve(s, row, ana, her.clock())
        if row.urgent:
            await review.second_approve(s, row, sam, her.clock())
    her.svc.dispatcher.wake()
    await her.settled()
    return made.id


@pytest.mark.parametrize("locale", ("en", "de"))
async def test_the_reply_to_a_danger_message_carries_her_exit_button(
        settings_env: dict[str, object], keyring, locale: str) -> None:
    async with her_phone("telegram", settings_env, keyring) as her:
        await her.enrolled(locale=locale, country=COUNTRY[locale])
        reply = await her.send(DANGER[locale])
        assert any(reply.buttons)  # "Ring me" under the team's message
        assert without_exit(her.bot_messages(), locale) == []
        assert EXIT[locale] in reply.labels()


async def test_every_message_with_buttons_on_her_screen_carries_her_exit_button(
        settings_env: dict[str, object], keyring) -> None:
    """Replies, a notice's preview and its text, the menu, settings, a call-back: one journey."""
    async with her_phone("telegram", settings_env, keyring) as her:
        sid, _ = await her.enrolled(timezone="UTC")
        await her.send("MENU")
        await her.choose("Ring me")
        await her.send(PIN)
        await approved(her, sid, "new_incident")
        await her.choose("Read")
        await her.send("he hit me last night")
        await her.send("HELP")
        assert len([m for m in her.bot_messages() if m["buttons"]]) >= 5
        assert without_exit(her.bot_messages(), "en") == []


async def test_after_got_it_the_got_it_and_ring_me_buttons_are_gone_from_the_notice(
        settings_env: dict[str, object], keyring) -> None:
    async with her_phone("telegram", settings_env, keyring) as her:
        sid, _ = await her.enrolled(timezone="UTC")
        await approved(her, sid, "dropped_out")
        await her.choose("Read")
        opened = await her.send(PIN)
        notice_message = opened.ids[-1]
        assert "Got it" in " ".join(opened.labels())
        await her.choose("Got it")
        shown = next(m for m in her.bot_messages() if m["message_id"] == notice_message)
        assert shown["buttons"] == []  # nothing left to press twice


async def test_in_the_simulator_the_danger_reply_carries_her_exit_button(service: Any) -> None:
    async with serve_app(service.web_app()) as base, aiohttp.ClientSession() as http:
        chat = Chat(service, http, base)
        phone = chat.phone("her")
        await enrol(phone, await chat.invite())
        await phone.send("he is here help me")
        with_buttons = [m for m in phone.screen if m["from"] == "bot" and m["buttons"]]
        assert with_buttons and all(["menu:exit", "🚪 Exit"] in m["buttons"] for m in with_buttons)


# -- items 5 and 9: check-in answers recorded as she chose them; German check-ins say "Sie" -----------

ALL_DAY = [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "24:00"}]
SAFE_QUESTION = {"en": "How settled do you feel at home", "de": "Wie wohl fühlen Sie sich im Moment zu Hause"}
FEAR_OPTION = {"en": "Sometimes", "de": "Manchmal"}


async def opened_intake(her: HerPhone) -> int:
    """The intake survey is due and reaches her (the next morning: its time of day, not the test's
    instant, decides when it is due); returns its wave instance."""
    her.clock.set(at(her.clock(), 10, days=1))
    jobs = WaveJobs(her.svc.db, her.svc.keyring, clock=her.clock, on_outbox=her.svc.dispatcher.wake)
    await jobs.run_once()
    her.svc.dispatcher.wake()
    await her.settled()
    async with her.svc.db.sessions() as s:
        inst = await s.scalar(select(WaveInstance).where(WaveInstance.wave_code == "T0"))
    assert inst is not None and inst.state == "sent"
    return inst.id


async def answers(her: HerPhone) -> dict[str, str | None]:
    async with her.svc.db.sessions() as s:
        return {a.item_code: a.value for a in (await s.scalars(select(Answer))).all()}


@pytest.mark.parametrize("locale", ("en", "de"))
async def test_the_number_she_sends_for_how_settled_she_feels_is_the_number_recorded(
        her: HerPhone, locale: str) -> None:
    await her.enrolled(timezone="UTC", contact_windows=ALL_DAY, locale=locale, country=COUNTRY[locale])
    instance = await opened_intake(her)
    if her.telegram is not None:
        await her.press(int(her.bot_messages()[-1]["message_id"]), f"wave:{instance}:start")
    else:
        await her.send("1")
    safe = await her.choose(FEAR_OPTION[locale])  # SMS: the number of the line "3 Sometimes"
    assert safe.says(SAFE_QUESTION[locale])
    if her.channel == "sms":
        # no shifted list ("1 0 … 11 10, 12 Skip, 13 Later"): she replies with the value itself
        assert not any(line[:3].strip().isdigit() for line in safe.text.splitlines()[1:])
        assert safe.says("0") and safe.says("10")
        again = await her.send("12")  # off the scale: asked again, nothing recorded
        assert again.says(SAFE_QUESTION[locale]) and "safe" not in await answers(her)
        await her.send("7")
    else:
        await her.choose("7")
    recorded = await answers(her)
    assert recorded["fear"] == "sometimes" and recorded["safe"] == "7"  # what she chose, not one less
    if locale == "de":
        assert not any(word in " ".join(her.screen_texts()).split() for word in ("du", "dich", "dir", "Antworte"))


# -- item 7: no reply promises a call-back the service did not record ----------------------------------

R = {
    "en": {"read": "Read", "anyway": "Send it anyway", "ring": "Ring me", "promise": "We will ring",
           "asked": "when and on which number", "this": "This number", "yes": "Yes, please",
           "done": "We will ring at one of those times"},
    "de": {"read": "Lesen", "anyway": "Trotzdem senden", "ring": "Bitte anrufen", "promise": "Wir rufen",
           "asked": "wann und unter welcher Nummer", "this": "Diese Nummer", "yes": "Ja, bitte",
           "done": "Wir rufen zu einer dieser Zeiten an"},
}


async def callbacks(her: HerPhone) -> list[CallbackRequest]:
    async with her.svc.db.sessions() as s:
        return list((await s.scalars(select(CallbackRequest))).all())


@pytest.mark.parametrize("locale", ("en", "de"))
async def test_ring_me_with_no_safe_times_asks_for_them_and_promises_nothing_until_it_is_booked(
        her: HerPhone, locale: str) -> None:
    r = R[locale]
    sid, _ = await her.enrolled(timezone="UTC", contact_windows=[], locale=locale, country=COUNTRY[locale])
    await approved(her, sid, "new_incident")  # urgent: it goes at once
    if her.telegram is not None:
        await her.choose(r["read"])
    else:
        await her.send("1")
    await her.send(PIN)
    if her.channel == "sms":
        await her.choose(r["anyway"])
    rung = await her.choose(r["ring"])
    assert not rung.says(r["promise"]) and rung.says(r["asked"])
    assert await callbacks(her) == []  # nothing booked without a time
    await her.choose("09:00")  # a time she picks
    if her.channel == "sms":
        await her.choose(r["this"])
    else:
        await her.send("07700 900123")
    done = await her.choose(r["yes"])
    assert done.says(r["done"])
    (booked,) = await callbacks(her)
    assert booked.windows and booked.windows[0]["start"] == "09:00" and booked.phone


# -- item 8: the SMS invitation waits for safe hours in her zone ---------------------------------------

LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize("locale", ("en", "de"))
async def test_an_sms_invitation_written_at_23_08_reaches_her_phone_only_in_the_morning(
        settings_env: dict[str, object], keyring, locale: str) -> None:
    async with her_phone("sms", settings_env, keyring) as her:
        today = her.clock().astimezone(LONDON).date()
        her.clock.set(datetime.combine(today, time(23, 8), LONDON))
        invited = await her.invitation(locale=locale, country=COUNTRY[locale])
        assert invited.texts == [] and her.bot_messages() == []  # nothing at night
        await her.svc.dispatcher.passes(2)
        assert her.bot_messages() == []
        her.clock.set(datetime.combine(today + timedelta(days=1), time(9, 1), LONDON))
        her.svc.dispatcher.wake()
        await her.settled()
        (optin,) = [m["text"] for m in her.bot_messages()]
        assert "YES" in optin or "JA" in optin


# -- item 11: the times she types are understood, and said back ------------------------------------------

W = {
    "en": {"daily": "daily 0-24", "daily_seen": "Mon–Sun 00:00–24:00", "weekdays": "weekdays 9-17",
           "weekdays_seen": "Mon–Fri 09:00–17:00", "mornings": "mornings", "mornings_seen": "Mon–Sun 09:00–12:00",
           "all_set": "All set", "settings": "Settings", "times": "Good times", "noted": "Noted",
           "sorry": "could not read that time"},
    "de": {"daily": "täglich 0-24", "daily_seen": "Mo–So 00:00–24:00", "weekdays": "Mo-Fr 9-17 Uhr",
           "weekdays_seen": "Mo–Fr 09:00–17:00", "mornings": "morgens", "mornings_seen": "Mo–So 09:00–12:00",
           "all_set": "Alles fertig", "settings": "Einstellungen", "times": "Gute Zeiten", "noted": "Notiert",
           "sorry": "nicht lesen"},
}


async def at_the_windows_step(her: HerPhone, locale: str) -> int:
    """She has chosen her cover and her PIN: the last enrolment step asks for good times."""
    sid, _ = await her.enrolled(locale=locale, country=COUNTRY[locale], contact_windows=[],
                                state={"flow": "onboarding", "step": "windows"})
    async with her.svc.db.transaction() as s:
        row = await s.get(Survivor, sid)
        assert row is not None
        row.status = "onboarding"
    return sid


async def her_windows(her: HerPhone) -> list[dict[str, Any]]:
    return list((await her_row(her)).contact_windows or [])


@pytest.mark.parametrize("locale", ("en", "de"))
async def test_at_enrolment_a_typed_daily_0_24_is_taken_and_said_back(her: HerPhone, locale: str) -> None:
    w = W[locale]
    await at_the_windows_step(her, locale)
    reply = await her.send(w["daily"])
    assert reply.says(w["daily_seen"]) and reply.says(w["all_set"]) and not reply.says("didn't get")
    assert await her_windows(her) == [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "24:00"}]
    assert (await her_row(her)).status == "active"


@pytest.mark.parametrize("locale", ("en", "de"))
async def test_at_enrolment_a_part_of_the_day_is_taken_and_an_unreadable_time_is_asked_again(
        her: HerPhone, locale: str) -> None:
    w = W[locale]
    await at_the_windows_step(her, locale)
    again = await her.send("25-99")
    assert again.says(w["sorry"]) and await her_windows(her) == []
    taken = await her.send(w["mornings"])
    assert taken.says(w["mornings_seen"])
    assert await her_windows(her) == [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "09:00", "end": "12:00"}]


@pytest.mark.parametrize("locale", ("en", "de"))
async def test_in_settings_typed_weekday_hours_are_added_and_said_back(her: HerPhone, locale: str) -> None:
    w = W[locale]
    await her.enrolled(locale=locale, country=COUNTRY[locale], contact_windows=[])
    await her.send(T[locale]["menu"])
    await her.choose(w["settings"])
    await her.send(PIN)
    await her.choose(w["times"])
    reply = await her.send(w["weekdays"])
    assert reply.says(w["noted"]) and reply.says(w["weekdays_seen"])
    assert await her_windows(her) == [{"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:00"}]
