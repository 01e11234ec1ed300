"""Her own life at risk (issue 23): the crisis line of her country at once, in her cover wording, and
an urgent escalation that names self-harm; never a question about stopping messages."""

from __future__ import annotations

from sqlalchemy import select

from bot import catalog
from bot.storage.models import Escalation
from safety.disguise import revealing_preview
from tests.conversations.conftest import Chat, enrol, enrol_in_german


async def _escalations(chat: Chat) -> list[tuple[str, str, str]]:
    async with chat.service.db.sessions() as s:
        rows = (await s.scalars(select(Escalation).order_by(Escalation.id))).all()
        return [(e.priority, e.reason, e.status) for e in rows]


async def test_tablets_taken_and_wanting_it_to_stop_gets_the_crisis_line_not_a_stop_question(chat: Chat) -> None:
    phone = chat.phone("her")
    await enrol(phone, await chat.invite(country="GB"))
    reply = await phone.send("i took all my tablets i just want it to stop")
    assert reply.says("116 123") and reply.says("999")
    assert not reply.says("stop all messages")
    assert await _escalations(chat) == [("urgent", "self_harm", "open")]


async def test_the_crisis_reply_is_in_cover_wording_with_nothing_revealing_in_its_preview(chat: Chat) -> None:
    phone = chat.phone("her")
    await enrol(phone, await chat.invite(country="IE"))
    reply = await phone.send("i dont want to be alive anymore")
    first = reply.texts[0]
    assert first.startswith("🌱 Green Thumbs Club") and "116 123" in first
    assert not revealing_preview(first, catalog.sensitive_pattern("en"), catalog.emergency_number_pattern("en"))
    assert reply.says("Would a call back at a good time help?")  # the team has been told, in cover words
    assert await _escalations(chat) == [("urgent", "self_harm", "open")]


async def test_a_german_survivor_gets_the_telefonseelsorge_numbers_and_the_emergency_number(chat: Chat) -> None:
    phone = chat.phone("sie")
    await enrol_in_german(phone, chat)
    reply = await phone.send("ich hab die ganze packung schlaftabletten geschluckt")
    assert reply.says("0800 111 0 111") and reply.says("0800 111 0 222") and reply.says("112")
    assert reply.says("Sie")
    assert await _escalations(chat) == [("urgent", "self_harm", "open")]


async def test_his_threat_to_kill_himself_is_not_her_self_harm(chat: Chat) -> None:
    phone = chat.phone("her")
    await enrol(phone, await chat.invite())
    await phone.send("he says he will kill himself if i leave him")
    assert ("urgent", "self_harm", "open") not in await _escalations(chat)


async def test_someone_we_do_not_know_writing_of_ending_her_life_still_gets_a_number_to_call(chat: Chat) -> None:
    reply = await chat.phone("unknown").send("i want to end my life")
    assert reply.says("116 123") and reply.says("112")
