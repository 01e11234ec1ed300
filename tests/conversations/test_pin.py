"""PIN and duress PIN, seen from her phone and from the liaison team's queue."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.storage.models import Escalation
from flows.pin import MAX_FAILURES
from tests.conversations.conftest import Chat, Phone, enrol


async def _enrolled_and_locked(chat: Chat) -> Phone:
    phone = chat.phone("her")
    await enrol(phone, await chat.invite())
    await phone.tap("Exit")  # locks at once
    await phone.send("menu")
    return phone


def _view(reply) -> list[tuple[str, list[list[str]]]]:
    return [(m["text"], m["buttons"]) for m in reply.messages]


async def _escalations(chat: Chat) -> list[tuple[str, str]]:
    async with chat.service.db.sessions() as s:
        return [(e.priority, e.reason) for e in (await s.scalars(select(Escalation).order_by(Escalation.id))).all()]


async def test_private_pages_need_the_pin_and_then_stay_open_for_the_unlock_period(chat: Chat) -> None:
    phone = await _enrolled_and_locked(chat)
    ask = await phone.tap("Read more")
    assert ask.says("Please send your PIN")
    pages = await phone.send("4821")
    assert pages.says("Pick a page to read")
    again = await phone.tap("Menu")
    assert not again.says("PIN")
    assert (await phone.tap("Read more")).says("Pick a page to read")  # still open
    chat.clock(timedelta(minutes=11))  # the default unlock period is 10 minutes
    assert (await phone.tap("Menu")).says("What would you like?")  # the cover menu again
    assert (await phone.tap("Read more")).says("Please send your PIN")


async def test_the_duress_pin_looks_exactly_like_a_wrong_pin_and_silently_raises_an_urgent_escalation(
        chat: Chat) -> None:
    phone = await _enrolled_and_locked(chat)
    await phone.tap("Read more")
    wrong = await phone.send("1357")
    await phone.tap("Read more")
    duress = await phone.send("7395")
    assert _view(duress) == _view(wrong)
    assert duress.says("PIN not recognised") and duress.says("What would you like?")
    assert not duress.says("Pick a page")
    assert await _escalations(chat) == [("urgent", "duress_pin")]
    assert all("7395" not in m["text"] for m in phone.screen)  # her PIN message is gone from the chat


async def test_wrong_pins_are_limited_but_never_lock_her_out_of_the_emergency_numbers(chat: Chat) -> None:
    phone = await _enrolled_and_locked(chat)
    for _ in range(MAX_FAILURES):
        await phone.tap("Read more")
        reply = await phone.send("1357")
    assert reply.says("Too many tries")
    locked = await phone.tap("Read more")
    assert locked.says("Too many tries") and not locked.says("send your PIN")
    assert (await phone.send("4821")).texts == (await phone.send("1357")).texts  # even the right PIN waits
    numbers = await phone.tap("Useful numbers")
    assert numbers.says("999 or 112") and numbers.says("0808 2000 247")
    assert ("routine", "pin_lockout") in await _escalations(chat)
    chat.clock(timedelta(minutes=16))
    await phone.tap("Read more")
    assert (await phone.send("4821")).says("Pick a page to read")


async def test_the_duress_pin_still_raises_the_alarm_while_pin_entry_is_locked(chat: Chat) -> None:
    phone = await _enrolled_and_locked(chat)
    for _ in range(MAX_FAILURES):
        await phone.tap("Read more")
        await phone.send("1357")
    await phone.send("7395")
    assert ("urgent", "duress_pin") in await _escalations(chat)


async def test_a_weak_or_mismatched_pin_is_refused_when_choosing_one(chat: Chat) -> None:
    phone = chat.phone("her")
    await phone.send(await chat.invite())
    await phone.tap("Continue")
    await phone.tap("Continue")
    for _ in range(3):
        await phone.tap("Yes")
    await phone.tap("Kitchen Corner")
    assert (await phone.send("1234")).says("nothing easy to guess")
    await phone.send("4821")
    assert (await phone.send("4822")).says("did not match")
    await phone.send("4821")
    await phone.send("4821")
    assert (await phone.send("4821")).says("must be different")
