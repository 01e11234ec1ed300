"""Free text reaches the right flow, and any sign of danger is caught whatever the model says."""

from __future__ import annotations

from sqlalchemy import select

from bot.storage.models import Escalation
from tests.conversations.conftest import Chat, enrol, enrol_in_german


async def _escalations(chat: Chat) -> list[tuple[str, str]]:
    async with chat.service.db.sessions() as s:
        return [(e.priority, e.reason) for e in (await s.scalars(select(Escalation).order_by(Escalation.id))).all()]


async def test_danger_in_her_words_shows_the_numbers_at_once_and_raises_an_urgent_escalation(chat: Chat) -> None:
    phone = chat.phone("her")
    await enrol(phone, await chat.invite())
    reply = await phone.send("hes here and hes going to hurt me")
    assert reply.says("999")
    assert ("urgent", "danger_now") in await _escalations(chat)


async def test_danger_is_caught_even_in_the_middle_of_another_question(chat: Chat) -> None:
    phone = chat.phone("her")
    await enrol(phone, await chat.invite())
    assert (await phone.tap("Ring me")).says("Pick a time")
    reply = await phone.send("help me now he is breaking the door")
    assert reply.says("999")
    assert ("urgent", "danger_now") in await _escalations(chat)


async def test_danger_in_german_is_caught_for_a_german_survivor(chat: Chat) -> None:
    phone = chat.phone("sie")
    await enrol_in_german(phone, chat)
    reply = await phone.send("er ist hier, hilfe")
    assert reply.says("110")
    assert ("urgent", "danger_now") in await _escalations(chat)


async def test_a_stranger_in_danger_still_gets_emergency_numbers_but_nothing_about_the_service(chat: Chat) -> None:
    reply = await chat.phone("unknown").send("help me he is going to kill me")
    assert reply.says("112")
    assert not reply.says("programme") and not reply.says("liaison")


async def test_free_text_asking_for_a_call_opens_the_call_back_flow(chat: Chat) -> None:
    phone = chat.phone("her")
    await enrol(phone, await chat.invite())
    reply = await phone.send("could someone give me a ring please")
    assert reply.says("Pick a time") or reply.says("PIN")


async def test_telling_us_something_happened_raises_a_high_escalation_and_offers_a_call(chat: Chat) -> None:
    phone = chat.phone("her")
    await enrol(phone, await chat.invite())
    reply = await phone.send("he followed me to work yesterday")
    assert ("high", "report_incident") in await _escalations(chat) or \
        ("high", "feeling_unsafe") in await _escalations(chat)
    assert any("callback" in payload for payload, _label in reply.buttons)
