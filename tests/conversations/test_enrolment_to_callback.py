"""A survivor is invited, enrols, and asks for a call-back: the whole way, as she would do it."""

from __future__ import annotations

from sqlalchemy import select

from bot.storage.models import CallbackRequest, ChannelIdentity, ConsentRecord, Escalation, InboundMessage, Survivor
from tests.conversations.conftest import Chat, enrol


async def test_a_survivor_enrols_with_her_code_and_asks_for_a_call_back(chat: Chat) -> None:
    code = await chat.invite(locale="en", country="GB")
    phone = chat.phone("amira")

    first = await phone.send(code)
    assert len(first.messages) == 1
    assert first.says("anyone who looks at this phone could read this chat")
    assert first.says("delete this chat") and first.says("Text messages (SMS) stay on the phone")
    assert first.texts[0].startswith("⛅ Weather Desk")  # a cover title before she has chosen one

    about = await phone.tap("Continue")
    assert about.says("What we keep") and about.says("Who sees it") and about.says("How long")
    assert about.says("send STOP")

    q1 = await phone.tap("Continue")
    assert q1.says("Question 1 of 3")
    q2 = await phone.tap("Yes")
    assert q2.says("Question 2 of 3")
    q3 = await phone.tap("Yes")
    assert q3.says("Question 3 of 3")
    persona = await phone.tap("No")
    assert persona.says("Which title")
    assert ["persona:garden", "🌱 Green Thumbs Club"] in persona.buttons

    choose = await phone.tap("Green Thumbs")
    assert choose.texts[0].startswith("🌱 Green Thumbs Club")
    assert choose.says("choose a PIN")
    assert (await phone.send("4821")).says("send the same PIN again")
    assert (await phone.send("4821")).says("second PIN")
    await phone.send("7395")
    times = await phone.send("7395")
    assert times.says("When is it a good time")

    done = await phone.tap("Mon–Fri 09:00–12:00")
    assert done.says("All set")
    menu = done.messages[-1]
    assert [b[1] for b in menu["buttons"]] == [
        "📖 Read more", "📞 Ring me", "⚙️ Settings", "☎️ Useful numbers", "🚪 Exit", "🗑 Delete my data",
        "✋ Stop all messages",
    ]

    when = await phone.tap("Ring me")  # just unlocked by choosing her PIN: no PIN prompt
    assert when.says("good time for us to ring")
    await phone.tap("Mon–Fri 09:00–12:00")
    number = phone.last
    assert number.says("Which number should we ring")
    confirm = await phone.send("07700 900123")
    assert confirm.says("We will ring the number ending in 123") and confirm.says("Mon–Fri 09:00–12:00")
    thanks = await phone.tap("Yes, please")
    assert thanks.says("We will ring at one of those times")
    assert all(t.startswith("🌱 Green Thumbs Club") for t in thanks.texts)

    async with chat.service.db.sessions() as s:
        survivor = await s.scalar(select(Survivor))
        assert survivor is not None
        assert (survivor.status, survivor.persona, survivor.locale) == ("active", "garden", "en")
        assert survivor.contact_windows == [{"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "12:00"}]
        assert survivor.pin_hash and survivor.pin_hash.startswith("$argon2id$")
        assert survivor.duress_pin_hash and survivor.duress_pin_hash != survivor.pin_hash
        consents = (await s.scalars(select(ConsentRecord).order_by(ConsentRecord.id))).all()
        assert [(c.kind, c.granted, c.channel) for c in consents] == [
            ("information", True, "simulator"), ("checkins", True, "simulator"), ("evaluation", False, "simulator"),
        ]
        assert all(c.text_version == "en-2025-06-1" for c in consents)
        callback = await s.scalar(select(CallbackRequest))
        assert callback is not None and callback.phone == "07700900123" and callback.status == "open"
        assert callback.windows == [{"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "12:00"}]
        escalation = await s.get(Escalation, callback.escalation_id)
        assert escalation is not None and (escalation.priority, escalation.reason) == ("routine", "callback_requested")
        identity = await s.scalar(select(ChannelIdentity))
        assert identity is not None and identity.status == "active"
        kept = [m.body for m in (await s.scalars(select(InboundMessage))).all()]
        assert "4821" not in kept and "7395" not in kept  # her PINs are never stored


async def test_her_state_survives_a_restart_of_the_service(service) -> None:
    import aiohttp

    from bot.settings import load_settings
    from liaison.service import create_service
    from tests.support.http import serve_app

    async with serve_app(service.web_app()) as base, aiohttp.ClientSession() as http:
        first = Chat(service, http, base)
        phone = first.phone("amira")
        await phone.send(await first.invite())
        await phone.tap("Continue")
    # the first service has stopped (its app was cleaned up); a new process starts from the database
    restarted = create_service(load_settings(**service.settings.model_dump(by_alias=True)), keyring=service.keyring,
                               clock=service.clock)
    async with serve_app(restarted.web_app()) as base, aiohttp.ClientSession() as http:
        again = Chat(restarted, http, base).phone("amira")
        reply = await again.send("continue")
    assert reply.says("Question 1 of 3")


async def test_the_menu_works_with_numbered_replies(chat: Chat) -> None:
    phone = chat.phone("amira")
    await enrol(phone, await chat.invite())
    numbers = await phone.send("4")  # the fourth entry: useful numbers
    assert numbers.says("999 or 112")

