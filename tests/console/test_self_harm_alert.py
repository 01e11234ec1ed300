"""Self-harm reaches a person like any urgent escalation (issue 23): her words on Telegram, the
on-call worker alerted on their own Telegram chat, and the console queue naming it self-harm.
Driven through the fake Telegram server and the console over HTTP."""

from __future__ import annotations

from sqlalchemy import select

from bot.storage.models import Escalation
from tests.console.test_oncall_alerts import HER_CHAT, SECRET, STAFF_CHAT, link_telegram, push
from tests.support.console import ConsoleClient, make_staff
from tests.support.fake_telegram import FakeTelegram
from tests.support.people import enrolled
from tests.support.running import serving, telegram_env, wait_until


async def test_her_self_harm_message_alerts_the_on_call_worker_and_shows_as_self_harm_in_the_queue(
        settings_env, keyring) -> None:
    async with FakeTelegram() as fake, serving(telegram_env(settings_env, fake, SECRET), keyring) as (svc, base):
        client = ConsoleClient(base)
        try:
            login = await make_staff(svc, "ana", ["liaison"])
            assert await client.sign_in(login, svc.clock()) == 303
            await link_telegram(client, fake, STAFF_CHAT)
            await enrolled(svc.db, keyring, channel="telegram", address=str(HER_CHAT), pseudonym="ps-her",
                           country="GB")

            await push(fake, base, HER_CHAT, "i took all my tablets i just want it to stop")

            alert = await wait_until(lambda: [t for t in fake.bot_texts(STAFF_CHAT) if "Urgent alert #" in t])
            async with svc.db.sessions() as s:
                esc = await s.scalar(select(Escalation).where(Escalation.priority == "urgent"))
            assert esc is not None and esc.reason == "self_harm"
            assert alert == [f"Urgent alert #{esc.id} \u2014 open the console"]
            her_texts = await wait_until(lambda: [t for t in fake.bot_texts(HER_CHAT) if "116 123" in t])
            assert "999" in her_texts[0]

            _s, page, _l = await client.get("/console/queue")
            assert f'data-escalation="{esc.id}"' in page
            assert "Self-harm or suicide risk" in page
        finally:
            await client.close()
