"""Issue 22, item 1, from his side of the phone (Telegram and SMS, en and de): wherever her PIN is
asked for, whatever else is open (a check-in half answered, a notice, a call-back, her settings),
her PIN is taken by the PIN gate first: the thing she asked for opens, her PIN message leaves her
Telegram screen, and her duress PIN raises exactly one urgent escalation behind exactly the
wrong-PIN screen."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select

from bot.storage.models import Escalation, WaveInstance
from scheduler.jobs import WaveJobs
from tests.notices.test_her_phone import approved
from tests.support.her_phone import DURESS, PIN, HerPhone, her_phone

WORDS = {
    "en": {"menu": "MENU", "exit": "EXIT", "read": "Read more", "settings": "Settings",
           "pages": "Pick a page", "pages_sms": "These pages say plainly",
           "settings_menu": "Settings: what would you like", "wrong": "PIN not recognised",
           "sorry": "Sorry, I didn't get that", "ask": "Please send your PIN", "read_note": "Read"},
    "de": {"menu": "MENÜ", "exit": "RAUS", "read": "Mehr lesen", "settings": "Einstellungen",
           "pages": "Wählen Sie eine Seite", "pages_sms": "Diese Seiten sagen offen",
           "settings_menu": "Einstellungen: Was möchten Sie", "wrong": "PIN nicht erkannt",
           "sorry": "nicht verstanden", "ask": "Bitte senden Sie Ihre PIN", "read_note": "Lesen"},
}


@pytest.fixture(params=("telegram", "sms"))
async def her(request: pytest.FixtureRequest, settings_env: dict[str, object], keyring) -> AsyncIterator[HerPhone]:
    async with her_phone(request.param, settings_env, keyring) as phone:
        yield phone


def tomorrow_at(her: HerPhone, hour: int) -> datetime:
    start = her.clock()
    return datetime.combine(start.date() + timedelta(days=1), time(hour), start.tzinfo)


async def half_way_through_a_checkin(her: HerPhone, locale: str) -> None:
    """Her intake check-in arrives; she opens it and answers the first question."""
    await her.enrolled(timezone="UTC", locale=locale, country="DE" if locale == "de" else "GB")
    her.clock.set(tomorrow_at(her, 11))
    await WaveJobs(her.svc.db, her.svc.keyring, clock=her.clock, on_outbox=her.svc.dispatcher.wake).run_once()
    her.svc.dispatcher.wake()
    await her.settled()
    async with her.svc.db.sessions() as s:
        wave = await s.scalar(select(WaveInstance).where(WaveInstance.wave_code == "T0"))
    assert wave is not None and wave.state == "sent"
    if her.telegram is not None:
        opening = her.bot_messages()[-1]
        await her.press(int(opening["message_id"]), f"wave:{wave.id}:start")
    else:
        await her.send("1")
    assert (await her.send("1")).texts  # her answer to the first question; the second one is asked


async def urgent_duress_escalations(her: HerPhone) -> list[Escalation]:
    async with her.svc.db.sessions() as s:
        return list((await s.scalars(select(Escalation).where(Escalation.reason == "duress_pin"))).all())


def pin_left_on_screen(her: HerPhone) -> bool:
    return any(text.strip() in (PIN, DURESS) for text in her.screen_texts())


@pytest.mark.parametrize("locale", ("en", "de"))
async def test_in_the_middle_of_a_checkin_her_pin_opens_what_she_asked_for(her: HerPhone, locale: str) -> None:
    w = WORDS[locale]
    await half_way_through_a_checkin(her, locale)
    await her.send(w["menu"])
    asked = await her.choose(w["read"])
    assert asked.says(w["ask"])
    opened = await her.send(PIN)
    assert opened.says(w["pages" if her.telegram is not None else "pages_sms"]) and not opened.says(w["sorry"])
    if her.telegram is not None:
        assert not pin_left_on_screen(her)  # her PIN message was deleted from her chat


@pytest.mark.parametrize("locale", ("en", "de"))
async def test_in_the_middle_of_a_checkin_her_duress_pin_shows_the_wrong_pin_screen_and_tells_the_team_once(
        her: HerPhone, locale: str) -> None:
    w = WORDS[locale]
    await half_way_through_a_checkin(her, locale)
    await her.send(w["menu"])
    await her.choose(w["settings"])
    duress = await her.send(DURESS)
    await her.send(w["menu"])
    await her.choose(w["settings"])
    wrong = await her.send("9137")
    assert duress.says(w["wrong"]) and not duress.says(w["sorry"]) and not duress.says(w["settings_menu"])
    # the very same screen as a wrong PIN: nothing tells them apart
    assert duress.texts == wrong.texts and duress.labels() == wrong.labels()
    (esc,) = await urgent_duress_escalations(her)
    assert esc.priority == "urgent"
    if her.telegram is not None:
        assert not pin_left_on_screen(her)


async def test_after_quick_exit_in_a_checkin_her_pin_opens_her_settings(her: HerPhone) -> None:
    w = WORDS["en"]
    await half_way_through_a_checkin(her, "en")
    await her.send(w["exit"])
    await her.send(w["menu"])
    assert (await her.choose(w["settings"])).says(w["ask"])
    opened = await her.send(PIN)
    assert opened.says(w["settings_menu"]) and not opened.says(w["sorry"])
    if her.telegram is not None:
        assert not pin_left_on_screen(her)


@pytest.mark.parametrize("locale", ("en", "de"))
async def test_a_notice_arriving_in_the_middle_of_a_checkin_opens_after_her_pin(her: HerPhone, locale: str) -> None:
    w = WORDS[locale]
    await half_way_through_a_checkin(her, locale)
    async with her.svc.db.sessions() as s:
        from bot.storage.models import Survivor

        sid = await s.scalar(select(Survivor.id))
    assert sid is not None
    await approved(her, sid, "risk_raised")
    if her.telegram is not None:
        asked = await her.choose(w["read_note"])
    else:
        asked = await her.send("1")
    assert asked.says(w["ask"])
    opened = await her.send(PIN)
    assert not opened.says(w["sorry"])
    if her.channel == "sms":
        opened = await her.send("1")  # "Send it anyway"
    assert len(opened.texts) == 1 and len(opened.texts[0]) > 150  # the notice's text
    if her.telegram is not None:
        assert not pin_left_on_screen(her)


async def test_her_duress_pin_typed_unasked_in_a_checkin_tells_the_team_and_leaves_no_trace(her: HerPhone) -> None:
    """No PIN prompt at all: someone makes her open the chat in the middle of the questions."""
    w = WORDS["en"]
    await half_way_through_a_checkin(her, "en")
    reply = await her.send(DURESS)
    assert reply.says(w["wrong"]) and not reply.says(w["sorry"])
    assert len(await urgent_duress_escalations(her)) == 1
    if her.telegram is not None:
        assert not pin_left_on_screen(her)


async def test_in_the_middle_of_a_checkin_her_pin_opens_the_call_back_she_asked_for(her: HerPhone) -> None:
    await half_way_through_a_checkin(her, "en")
    await her.send("MENU")
    assert (await her.choose("Ring me")).says("Please send your PIN")
    opened = await her.send(PIN)
    assert opened.says("When is a good time for us to ring") and not opened.says("Sorry, I didn't get that")
    if her.telegram is not None:
        assert not pin_left_on_screen(her)
    await her.send("MENU")
    back = await her.choose("Continue the questions")  # and her check-in is where she left it
    assert back.texts and not back.says("Please send your PIN")
