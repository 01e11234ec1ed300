"""In plain mode the check-in questions are explicit, so they open only after her PIN."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from bot.storage.models import InboundMessage, Survivor
from scheduler.jobs import WaveJobs
from tests.conversations.conftest import Chat, enrol
from tests.scheduler.support import Clock

ALL_DAY = [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "24:00"}]


@pytest.mark.at("2026-03-10T11:00:00+00:00")  # her intake wave falls due at 10:00 local on the day she enrols
async def test_a_plain_mode_check_in_asks_for_her_pin_then_opens(chat: Chat) -> None:
    phone = chat.phone("her")
    await enrol(phone, await chat.invite())
    async with chat.service.db.transaction() as s:
        await s.execute(update(Survivor).values(contact_windows=ALL_DAY, plain_mode=True))
        # she enrolled over half an hour ago (no wave opens by itself while she is still writing)
        for message in (await s.scalars(select(InboundMessage))).all():
            message.processed_at -= timedelta(minutes=31)
    chat.clock(timedelta(minutes=20))  # her unlock period has run out
    await WaveJobs(chat.service.db, chat.service.keyring, clock=Clock(datetime.now(UTC))).run_once()
    await chat.service.dispatcher.dispatch_due()
    opening = [m for m in chat.service.channels["simulator"].transcript("her") if m["from"] == "bot"][-1]
    start = next(p for p, _label in opening["buttons"] if p.endswith(":start"))
    asked = await phone.press(start)
    assert asked.says("PIN")
    opened = await phone.send("4821")
    assert not opened.says("PIN not recognised") and not opened.says("What would you like to do?")
    assert opened.says("how often have you been afraid")
    assert (await phone.send("never")).messages  # the first answer is taken: the check-in is open
