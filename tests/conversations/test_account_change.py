"""When someone else writes from her number or account, nothing of hers reaches them."""

from __future__ import annotations

from sqlalchemy import select

from bot.storage.models import ChannelIdentity, Escalation
from tests.conversations.conftest import Chat, enrol


async def test_a_new_owner_of_her_number_gets_only_the_neutral_reply_and_a_worker_is_asked(chat: Chat) -> None:
    phone = chat.phone("her")
    await enrol(phone, await chat.invite())
    reply = await phone.send("who is this? I just got this number")
    assert reply.texts == ["Sorry, this chat does not take messages. Have a nice day."]
    menu = await phone.send("menu")
    assert menu.texts == ["Sorry, this chat does not take messages. Have a nice day."]
    assert await phone.send("4821") is not None
    assert not any("Pick a page" in t or "Green Thumbs" in t for t in phone.last.texts)
    async with chat.service.db.sessions() as s:
        identity = await s.scalar(select(ChannelIdentity))
        reasons = (await s.scalars(select(Escalation.reason))).all()
    assert identity.status == "suspect"
    assert "reverify_identity" in reasons
