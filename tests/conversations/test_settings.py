"""Settings she can change after her PIN, each taking effect on the very next message."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.storage.models import Survivor
from tests.conversations.conftest import Chat, enrol


async def _survivor(chat: Chat) -> Survivor:
    async with chat.service.db.sessions() as s:
        survivor = await s.scalar(select(Survivor))
    assert survivor is not None
    return survivor


async def test_she_changes_language_cover_plain_mode_time_zone_windows_expiry_and_unlock_period(chat: Chat) -> None:
    phone = chat.phone("her")
    await enrol(phone, await chat.invite())

    await phone.tap("Settings")
    await phone.tap("Title of messages")
    saved = await phone.tap("Kitchen Corner")
    assert saved.texts[0].startswith("🍲 Kitchen Corner\nSaved.")

    await phone.tap("Time zone")
    await phone.send("europe/paris")
    assert (await _survivor(chat)).timezone == "Europe/Paris"
    await phone.tap("Time zone")
    assert (await phone.send("Mars/Olympus")).says("I do not know that time zone")
    await phone.tap("Back")

    await phone.tap("Good times")
    await phone.tap("Sat–Sun 10:00–16:00")
    typed = await phone.send("Tue 14-16:30")
    assert typed.says("Tue 14:00–16:30") and typed.says("Sat–Sun 10:00–16:00")
    assert (await _survivor(chat)).contact_windows == [
        {"days": [5, 6], "start": "10:00", "end": "16:00"}, {"days": [1], "start": "14:00", "end": "16:30"}]
    await phone.tap("Back")

    await phone.tap("Remove messages after")
    await phone.tap("6 hours")
    await phone.tap("Stay open after PIN")
    await phone.tap("30 minutes")
    survivor = await _survivor(chat)
    assert (survivor.expiry_minutes, survivor.unlock_minutes) == (360, 30)

    await phone.tap("Plain words")
    plain = await phone.tap("Plain words on")
    assert plain.texts[0].startswith("Partner contact service\nSaved.")
    assert ["set:plain", "🔤 Plain words"] in plain.buttons
    menu = await phone.tap("Menu")
    assert ["menu:info", "📖 Programme information"] in menu.buttons

    await phone.tap("Settings")
    await phone.tap("Language")
    german = await phone.tap("Deutsch")
    assert german.texts[0] == "Partnerinnenkontakt\nGespeichert."
    assert (await _survivor(chat)).locale == "de"


async def test_she_changes_her_pin_and_the_old_one_stops_working(chat: Chat) -> None:
    phone = chat.phone("her")
    await enrol(phone, await chat.invite())
    await phone.tap("Settings")
    await phone.tap("Change PIN")
    await phone.tap("My PIN")
    assert (await phone.send("7395")).says("That is your second PIN")
    await phone.send("2468")
    assert (await phone.send("2468")).says("PIN saved")
    await phone.send("exit")
    await phone.send("menu")
    await phone.tap("Read more")
    assert (await phone.send("4821")).says("PIN not recognised")
    await phone.tap("Read more")
    assert (await phone.send("2468")).says("Pick a page")


async def test_settings_ask_for_the_pin_again_once_the_unlock_period_is_over(chat: Chat) -> None:
    phone = chat.phone("her")
    await enrol(phone, await chat.invite())
    await phone.tap("Settings")
    chat.clock(timedelta(minutes=11))
    assert (await phone.tap("Language")).says("Please send your PIN")


async def test_a_half_finished_flow_times_out_to_the_cover_menu(chat: Chat) -> None:
    phone = chat.phone("her")
    await enrol(phone, await chat.invite())
    assert (await phone.tap("Ring me")).says("Pick a time")
    chat.clock(timedelta(minutes=31))
    reply = await phone.send("Mon-Fri 9-12")  # the question she no longer sees in context
    assert not reply.says("Pick a time") and not reply.says("ring")  # not taken as the old answer
    assert not reply.says("Which number")


async def test_her_own_exit_word_works_like_exit_from_anywhere(chat: Chat) -> None:
    phone = chat.phone("her")
    await enrol(phone, await chat.invite())
    await phone.tap("Settings")  # open without the PIN: she has just enrolled
    await phone.tap("exit word")
    assert (await phone.send("cancel")).says("can't be used")  # an SMS opt-out word
    assert (await phone.send("Tulips")).says("Saved")
    await phone.tap("Ring me")
    gone = await phone.send("tulips")
    assert len(gone.messages) == 1 and gone.buttons == []
    assert [m["from"] for m in phone.screen] == ["bot"]  # only the cover message is left


async def test_slash_x_is_quick_exit_too(chat: Chat) -> None:
    phone = chat.phone("her")
    await enrol(phone, await chat.invite())
    await phone.send("/x")
    assert [m["from"] for m in phone.screen] == ["bot"]
