"""The bugs the property test (test_conversation_engine.py) found outside issue 22's items 1-11, each as a
named example from his side of the phone: what her screen shows after the few steps that break it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.notices import review
from bot.storage.models import AuditEvent, Survivor
from tests.support.her_phone import PIN, HerPhone, her_phone
from tests.support.notices import drafted, worker

BUTTONS_ONLY = ("telegram", "simulator")  # options are buttons without numbers


@pytest.fixture(params=BUTTONS_ONLY)
async def her(request: pytest.FixtureRequest, settings_env: dict[str, object], keyring) -> AsyncIterator[HerPhone]:
    async with her_phone(request.param, settings_env, keyring) as phone:
        yield phone


async def quick_exits(her: HerPhone) -> int:
    async with her.svc.db.sessions() as s:
        return len((await s.scalars(select(AuditEvent).where(AuditEvent.action == "quick_exit"))).all())


async def status(her: HerPhone) -> str:
    async with her.svc.db.sessions() as s:
        return str((await s.scalars(select(Survivor.status))).one())


@pytest.mark.parametrize(("number", "would_be"), [("5", "exit"), ("7", "stop")])
async def test_a_number_she_types_where_options_are_buttons_never_wipes_or_stops_her_chat(
        her: HerPhone, number: str, would_be: str) -> None:
    """Found by the property test (invariant g): at the menu on Telegram, "5" wiped her chat (the fifth
    button is Exit) and "7" stopped every message (the seventh is Stop), though she saw no numbers."""
    await her.enrolled()
    await her.send("MENU")
    reply = await her.send(number)
    assert await quick_exits(her) == 0 and await status(her) == "active"
    assert reply.says("didn't get that")
    assert "MENU" in her.her_messages()  # her chat is as it was


async def test_typed_numbers_where_options_are_buttons_never_erase_her_data(her: HerPhone) -> None:
    """Found by the property test (invariant g): "Delete my data" asks twice with buttons; two typed "1"s
    confirmed it twice on Telegram."""
    await her.enrolled()
    await her.send("MENU")
    await her.choose("Delete")
    await her.send(PIN)
    await her.send("1")
    await her.send("1")
    assert await status(her) == "active"


async def test_on_sms_the_numbered_lines_still_choose_exit_and_stop(settings_env: dict[str, object],
                                                                   keyring) -> None:
    """Where the options are numbered lines (SMS), the number is the button: "7" is Stop."""
    async with her_phone("sms", settings_env, keyring) as her:
        await her.enrolled()
        menu = await her.send("MENU")
        assert "7 " in menu.text
        await her.send("7")
        assert await status(her) == "stopped"


async def test_every_message_with_buttons_carries_the_exit_button(settings_env: dict[str, object], keyring) -> None:
    """Found by the property test (invariant h): only the menus carried the exit button; fixed on main with
    issue 22 item 10 (the exit button under every keyboard), kept here as the example."""
    async with her_phone("telegram", settings_env, keyring) as her:
        await her.enrolled()
        await her.send("MENU")
        asked = await her.choose("Settings")  # "Please send your PIN." with "Back to menu"
        assert asked.buttons[-1]
        assert "menu:exit" in [payload for payload, _label in asked.buttons[-1]]


async def test_after_quick_exit_in_a_chat_nothing_new_arrives_until_she_writes(her: HerPhone) -> None:
    """He made her clear the chat; a moment later "A new note for you — reply 1 to read." arrives on it."""
    sid, _ = await her.enrolled()
    await her.send("MENU")
    await her.send("EXIT")
    cleared = len(her.bot_messages())
    made = await drafted(her.svc, sid, "completed")  # a routine notice, approved a minute later
    assert made is not None
    ana = await worker(her.svc, "ana", ["liaison"])
    async with her.svc.db.transaction() as s:
        await review.approve(s, await s.get(type(made), made.id), ana, her.clock())
    her.svc.dispatcher.wake()
    await her.settled()
    assert her.bot_messages()[cleared:] == []
    async with her.svc.db.transaction() as s:  # the notice waits for a worker's call, not for her chat
        assert (await s.get(Survivor, sid)).outbound_paused_until is not None
    await her.send("MENU")  # she is back: the chat is hers to use again
    async with her.svc.db.transaction() as s:
        assert (await s.get(Survivor, sid)).outbound_paused_until is None


@pytest.mark.parametrize("channel", ["telegram", "simulator"])
async def test_her_pin_is_deleted_from_her_chat_after_the_service_clock_moved_on_days(
        settings_env: dict[str, object], keyring, channel: str) -> None:
    """Found by the property test (invariant a): the channels stamped her message with the machine's clock,
    not the service's; once they differed by two days (a test moving the clock, a service clock set apart)
    her PIN message looked older than Telegram's 48-hour window and was never deleted."""
    async with her_phone(channel, settings_env, keyring) as her:
        await her.enrolled()
        her.clock.advance(timedelta(days=3))
        if her.telegram is not None:
            her.telegram.advance(timedelta(days=3).total_seconds())
        reply = await her.send(PIN)
        assert reply.texts
        assert PIN not in her.her_messages()
