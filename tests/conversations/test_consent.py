"""Informed consent: three separate answers, recorded with version, channel and time; none, no messages."""

from __future__ import annotations

from sqlalchemy import select

from bot.storage.models import ChannelIdentity, ConsentRecord, Survivor
from tests.conversations.conftest import Chat, enrol


async def test_a_survivor_who_refuses_all_consents_gets_only_a_confirmation(chat: Chat) -> None:
    phone = chat.phone("her")
    await phone.send(await chat.invite())
    await phone.tap("Continue")
    await phone.tap("Continue")
    await phone.tap("No")
    await phone.tap("No")
    refused = await phone.tap("No")
    assert refused.says("You will not get any messages from us")
    assert len(refused.messages) == 1 and refused.buttons == []

    later = await phone.send("hello?")
    assert later.says("chose not to get messages") and later.says("START")

    async with chat.service.db.sessions() as s:
        survivor = await s.scalar(select(Survivor))
        identity = await s.scalar(select(ChannelIdentity))
        records = (await s.scalars(select(ConsentRecord))).all()
    assert survivor is not None and survivor.status == "declined"
    assert survivor.pin_hash is None and survivor.persona is None  # nothing else was stored
    assert identity is not None and identity.status == "stopped"
    assert [(r.kind, r.granted) for r in records] == [
        ("information", False), ("checkins", False), ("evaluation", False)]
    assert all(r.recorded_at is not None and r.text_version == "en-2025-06-1" for r in records)


async def test_saying_no_to_the_warning_ends_it_before_anything_is_asked(chat: Chat) -> None:
    phone = chat.phone("her")
    await phone.send(await chat.invite())
    reply = await phone.tap("No, thank you")
    assert reply.says("You will not get any messages from us")
    async with chat.service.db.sessions() as s:
        assert (await s.scalars(select(ConsentRecord))).all() == []


async def test_a_declined_survivor_can_start_again_and_consent(chat: Chat) -> None:
    phone = chat.phone("her")
    await phone.send(await chat.invite())
    await phone.tap("Continue")
    await phone.tap("Continue")
    for _ in range(3):
        await phone.tap("No")
    again = await phone.send("START")
    assert again.says("Question 1 of 3")
    await phone.tap("Yes")
    await phone.tap("No")
    persona = await phone.tap("No")
    assert persona.says("Which title")


async def test_a_consent_can_be_withdrawn_from_settings(chat: Chat) -> None:
    phone = chat.phone("her")
    await enrol(phone, await chat.invite())
    await phone.tap("Settings")
    choices = await phone.tap("My choices")
    assert ["consent:evaluation", "Answers for the study: on"] in choices.buttons
    after = await phone.tap("Answers for the study")
    assert after.says("Saved") and ["consent:evaluation", "Answers for the study: off"] in after.buttons
    async with chat.service.db.sessions() as s:
        last = (await s.scalars(select(ConsentRecord).order_by(ConsentRecord.id.desc()))).first()
    assert last is not None and (last.kind, last.granted) == ("evaluation", False)


async def test_withdrawing_every_consent_stops_all_messages(chat: Chat) -> None:
    phone = chat.phone("her")
    await enrol(phone, await chat.invite(), consents=("Yes", "No", "No"))
    await phone.tap("Settings")
    await phone.tap("My choices")
    done = await phone.tap("News and notices")
    assert done.says("all switched off")
    async with chat.service.db.sessions() as s:
        survivor = await s.scalar(select(Survivor))
    assert survivor is not None and survivor.status == "declined"
