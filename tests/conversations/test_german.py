"""A German invitation: the whole conversation in German, with German cover and numbers."""

from __future__ import annotations

from sqlalchemy import select

from bot.storage.models import CallbackRequest, ConsentRecord
from tests.conversations.conftest import Chat


async def test_a_german_survivor_enrols_and_asks_for_a_call_back_in_german(chat: Chat) -> None:
    phone = chat.phone("lena")
    first = await phone.send(await chat.invite(locale="de", country="DE"))
    assert first.texts[0].startswith("⛅ Wetterdienst\nWillkommen.")
    assert first.says("SMS bleiben auf dem Handy")
    await phone.tap("Weiter")
    assert (await phone.tap("Weiter")).says("Frage 1 von 3")
    await phone.send("ja")
    await phone.send("ja")
    assert (await phone.send("nein")).says("Mit welchem Titel")
    assert (await phone.tap("Gartenfreunde")).says("Bitte wählen Sie eine PIN")
    for pin in ("4821", "4821", "7395", "7395"):
        await phone.send(pin)
    done = await phone.tap("Mo–Fr 17:00–20:00")
    assert done.says("Alles fertig")
    assert ["menu:callback", "📞 Bitte anrufen"] in done.buttons

    numbers = await phone.tap("Nützliche Nummern")
    assert numbers.texts[0].startswith("🌱 Gartenfreunde\nHier ist die Liste.") and numbers.says("Nummern zum Aufheben")
    assert numbers.says("110") and numbers.says("116 016")

    await phone.tap("Bitte anrufen")
    await phone.tap("Mo–Fr 17:00–20:00")
    confirm = await phone.send("0170 1234567")
    assert confirm.says("Wir rufen die Nummer mit der Endung 567 an") and not confirm.says("01701234567")
    assert (await phone.tap("Ja, bitte")).says("Danke, notiert")

    stopped = await phone.send("STOPP")
    assert stopped.says("Sie sind abgemeldet")

    async with chat.service.db.sessions() as s:
        versions = {r.text_version for r in (await s.scalars(select(ConsentRecord))).all()}
        callback = await s.scalar(select(CallbackRequest))
    assert versions == {"de-2025-06-1"}
    assert callback is not None and callback.phone == "01701234567"
