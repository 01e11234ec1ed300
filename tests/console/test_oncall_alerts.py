"""Every alert reaches a person: an urgent escalation alerts the on-call staff at once through the
outbox, on their own linked Telegram chat; never her; once per person; re-alerted, then the
supervisor, while nobody claims it. Driven through the fake Telegram server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.channels.telegram.webhook import WEBHOOK_PATH
from bot.clock import ManualClock
from bot.escalations import raise_escalation
from bot.oncall.alerts import KIND, alert_on_call
from bot.oncall.telegram_link import LINKED, NOT_VALID
from bot.oncall.telegram_link import STAFF_CHAT as STAFF_CHAT_REPLY
from bot.storage.models import Escalation, OnCallShift, OutboundMessage, StaffAlert, StaffMember, Survivor
from safety.retention import RetentionPolicy
from scheduler.safety_jobs import SafetyJobs
from tests.support.console import ConsoleClient, make_staff
from tests.support.fake_telegram import FakeTelegram, deliver
from tests.support.people import enrolled
from tests.support.running import outbox, serving, telegram_env, wait_until

SECRET = "webhook_secret-for-tests_0123456789"
HER_CHAT = 55501234
STAFF_CHAT = 77702345
NOW = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)


async def push(fake: FakeTelegram, base: str, chat: int, text: str) -> None:
    assert await deliver(fake.user_sends(chat, text), base + WEBHOOK_PATH, SECRET) == 200


async def link_telegram(client: ConsoleClient, fake: FakeTelegram, chat: int) -> None:
    """In the console: 'Link my Telegram' shows a one-time /start code; the worker sends it."""
    status, page, _ = await client.post("/console/me/telegram-code")
    assert status == 200
    code = page.split('id="telegram-code">', 1)[1].split("</code>", 1)[0]
    assert code.startswith("/start staff_")
    await push(fake, client.base, chat, code)
    await wait_until(lambda: LINKED in fake.bot_texts(chat))


async def test_her_danger_message_alerts_the_on_call_worker_on_telegram_and_never_her(settings_env, keyring) -> None:
    async with FakeTelegram() as fake, serving(telegram_env(settings_env, fake, SECRET), keyring) as (svc, base):
        client = ConsoleClient(base)
        try:
            login = await make_staff(svc, "ana", ["liaison"])
            assert await client.sign_in(login, svc.clock()) == 303
            await link_telegram(client, fake, STAFF_CHAT)
            await enrolled(svc.db, keyring, channel="telegram", address=str(HER_CHAT), pseudonym="ps-her")

            await push(fake, base, HER_CHAT, "he is outside my door right now")

            alert = await wait_until(lambda: [t for t in fake.bot_texts(STAFF_CHAT) if "Urgent alert #" in t])
            async with svc.db.sessions() as s:
                esc = await s.scalar(select(Escalation).where(Escalation.priority == "urgent"))
            assert esc is not None and esc.reason == "danger_now"
            assert alert == [f"Urgent alert #{esc.id} \u2014 open the console"]
            assert "ps-her" not in alert[0]
            await wait_until(lambda: len(fake.bot_texts(HER_CHAT)) >= 2)  # her own replies
            assert not any("alert" in t.lower() or "console" in t.lower() for t in fake.bot_texts(HER_CHAT))
            rows = [r for r in await outbox(svc) if r.kind == KIND]
            assert len(rows) == 1 and rows[0].survivor_id is None and rows[0].identity_id is None

            async with svc.db.transaction() as s:  # the same escalation alerting again: nobody twice
                again = await s.get(Escalation, esc.id)
                assert again is not None
                assert await alert_on_call(s, again, svc.clock()) == 0
            assert len([r for r in await outbox(svc) if r.kind == KIND]) == 1
        finally:
            await client.close()


async def test_the_on_call_alert_leaves_at_once_not_at_the_dispatchers_next_timed_pass(settings_env, keyring) -> None:
    """The alert is queued deep inside the escalation, in her message's transaction: its chat's
    sender starts when that commits, like her replies' (the timed pass here is an hour away)."""
    async with FakeTelegram() as fake, serving({**telegram_env(settings_env, fake, SECRET),
                                               "OUTBOX_POLL_SECONDS": 3600}, keyring) as (svc, base):
        async with svc.db.transaction() as s:
            s.add(StaffMember(name="on-call", roles=["liaison"], status="active", telegram_chat=str(STAFF_CHAT),
                              telegram_chat_index=keyring.blind_index("telegram", str(STAFF_CHAT))))
        fake.chat(STAFF_CHAT)  # the worker has started the bot
        await enrolled(svc.db, keyring, channel="telegram", address=str(HER_CHAT), pseudonym="ps-her")
        await push(fake, base, HER_CHAT, "he is outside my door right now")
        alert = await wait_until(lambda: [t for t in fake.bot_texts(STAFF_CHAT) if "Urgent alert #" in t])
    assert len(alert) == 1


async def test_her_team_told_reply_offers_a_call_back_in_cover_wording(settings_env, keyring) -> None:
    async with FakeTelegram() as fake, serving(telegram_env(settings_env, fake, SECRET), keyring) as (svc, base):
        await enrolled(svc.db, keyring, channel="telegram", address=str(HER_CHAT), pseudonym="ps-her")
        await push(fake, base, HER_CHAT, "he is outside my door right now")
        texts = await wait_until(lambda: [t for t in fake.bot_texts(HER_CHAT) if "reached the team" in t])
        assert texts and "liaison" not in texts[0].lower()
        screen = fake.screen(HER_CHAT)
        told = next(m for m in screen if m["from"] == "bot" and "reached the team" in m["text"])
        assert "menu:callback" in str(told)


async def test_a_staff_alert_is_never_sent_to_an_address_that_is_hers(settings_env, keyring) -> None:
    async with FakeTelegram() as fake, serving(telegram_env(settings_env, fake, SECRET), keyring) as (svc, _base):
        await enrolled(svc.db, keyring, channel="telegram", address=str(HER_CHAT), pseudonym="ps-her")
        async with svc.db.transaction() as s:  # a staff record wrongly holding her chat id
            s.add(StaffMember(name="wrong", roles=["liaison"], status="active", telegram_chat=str(HER_CHAT),
                              telegram_chat_index=keyring.blind_index("telegram", str(HER_CHAT))))
        async with svc.db.transaction() as s:
            await raise_escalation(s, survivor_id=None, priority="urgent", reason="danger_now", now=svc.clock())
        svc.dispatcher.wake()
        rows = await wait_until(lambda: _final_alerts(svc))
        assert [r.status for r in rows] == ["cancelled"] and rows[0].last_error == "staff_alert_to_survivor"
        assert fake.bot_texts(HER_CHAT) == []


async def _final_alerts(svc) -> list[OutboundMessage]:
    rows = [r for r in await outbox(svc) if r.kind == KIND]
    return rows if rows and all(r.status in ("sent", "cancelled", "failed") for r in rows) else []


async def test_unclaimed_past_its_sla_it_is_re_alerted_then_the_supervisor_is(service, keyring) -> None:
    clock = ManualClock(NOW)
    service.clock = clock
    async with service.db.transaction() as s:
        on_call = StaffMember(name="oncall", roles=["liaison"], status="active", telegram_chat="9001",
                              telegram_chat_index=keyring.blind_index("telegram", "9001"))
        off = StaffMember(name="off-duty", roles=["liaison"], status="active", telegram_chat="9002",
                          telegram_chat_index=keyring.blind_index("telegram", "9002"))
        boss = StaffMember(name="boss", roles=["supervisor"], status="active", sms_number="+447700900555")
        s.add_all([on_call, off, boss])
        await s.flush()
        s.add(OnCallShift(staff_id=on_call.id, starts_at=NOW - timedelta(hours=1), ends_at=NOW + timedelta(hours=8),
                          created_by="test"))
    async with service.db.transaction() as s:
        esc = await raise_escalation(s, survivor_id=None, priority="urgent", reason="duress_pin", now=clock())
    jobs = SafetyJobs(service.db, retention=RetentionPolicy(), route_check_days=28, clock=clock)

    async def alerts() -> list[tuple[str, int, str]]:
        async with service.db.sessions() as s:
            rows = (await s.execute(select(StaffMember.name, StaffAlert.round, StaffAlert.channel)
                                    .join(StaffAlert, StaffAlert.staff_id == StaffMember.id)
                                    .where(StaffAlert.escalation_id == esc.id).order_by(StaffAlert.id))).all()
        return [tuple(r) for r in rows]

    assert await alerts() == [("oncall", 1, "telegram")]  # only who is on call, at once
    clock.advance(minutes=4)
    await jobs.run_once()
    assert await alerts() == [("oncall", 1, "telegram")]  # inside its 5 minutes: nothing more
    clock.advance(minutes=2)
    await jobs.run_once()
    await jobs.run_once()  # a second tick at the same moment adds nothing
    assert await alerts() == [("oncall", 1, "telegram"), ("oncall", 2, "telegram")]
    clock.advance(minutes=6)
    await jobs.run_once()
    assert await alerts() == [("oncall", 1, "telegram"), ("oncall", 2, "telegram"), ("boss", 3, "sms")]
    clock.advance(hours=1)
    await jobs.run_once()
    assert len(await alerts()) == 3  # the loop ends with the supervisor; the queue still shows it
    async with service.db.sessions() as s:
        texts = (await s.scalars(select(OutboundMessage.body).where(OutboundMessage.kind == KIND)
                                 .order_by(OutboundMessage.id))).all()
    # nothing sends here: the first alert still waiting for its chat became the reminder (one message)
    assert texts == [f"Reminder: urgent alert #{esc.id} \u2014 open the console",
                     f"Reminder: urgent alert #{esc.id} \u2014 open the console"]


async def test_with_nobody_on_call_every_liaison_worker_is_alerted(service, keyring) -> None:
    async with service.db.transaction() as s:
        for name, roles in (("a", ["liaison"]), ("b", ["liaison", "admin"]), ("c", ["evaluator"])):
            s.add(StaffMember(name=name, roles=roles, status="active", telegram_chat=f"80{len(name)}{name}",
                              telegram_chat_index=keyring.blind_index("telegram", f"80{name}")))
    async with service.db.transaction() as s:
        esc = await raise_escalation(s, survivor_id=None, priority="urgent", reason="danger_now", now=NOW)
    async with service.db.sessions() as s:
        names = (await s.scalars(select(StaffMember.name).join(StaffAlert, StaffAlert.staff_id == StaffMember.id)
                                 .where(StaffAlert.escalation_id == esc.id).order_by(StaffMember.name))).all()
    assert names == ["a", "b"]


async def test_a_staff_chat_is_never_treated_as_a_survivor_and_a_bad_code_is_refused(settings_env, keyring) -> None:
    async with FakeTelegram() as fake, serving(telegram_env(settings_env, fake, SECRET), keyring) as (svc, base):
        client = ConsoleClient(base)
        try:
            await push(fake, base, STAFF_CHAT, "/start staff_not-a-real-code-123")
            await wait_until(lambda: NOT_VALID in fake.bot_texts(STAFF_CHAT))
            login = await make_staff(svc, "ana", ["liaison"])
            assert await client.sign_in(login, svc.clock()) == 303
            await link_telegram(client, fake, STAFF_CHAT)
            await push(fake, base, STAFF_CHAT, "he is outside my door right now")  # words, from a staff chat
            await wait_until(lambda: STAFF_CHAT_REPLY in fake.bot_texts(STAFF_CHAT))
            async with svc.db.sessions() as s:
                assert (await s.scalars(select(Escalation))).all() == []
                assert (await s.scalars(select(Survivor))).all() == []
        finally:
            await client.close()


async def test_a_supervisor_puts_a_worker_on_call_in_the_rota_and_only_they_are_alerted(settings_env,
                                                                                       keyring) -> None:
    clock = ManualClock(NOW)
    async with FakeTelegram() as fake, serving(telegram_env(settings_env, fake, SECRET), keyring) as (svc, base):
        svc.clock = clock
        boss = ConsoleClient(base)
        try:
            async with svc.db.transaction() as s:
                for name, chat in (("on", "9101"), ("off", "9102")):
                    s.add(StaffMember(name=name, roles=["liaison"], status="active", telegram_chat=chat,
                                      telegram_chat_index=keyring.blind_index("telegram", chat)))
            assert await boss.sign_in(await make_staff(svc, "boss", ["supervisor"]), clock()) == 303
            async with svc.db.sessions() as s:
                on_id = await s.scalar(select(StaffMember.id).where(StaffMember.name == "on"))
            status, _b, location = await boss.post("/console/rota", {
                "staff_id": str(on_id), "starts_at": "2026-03-04T08:00", "ends_at": "2026-03-04T20:00"})
            assert status == 303 and "Shift added" in (boss.flash or "")
            async with svc.db.transaction() as s:
                esc = await raise_escalation(s, survivor_id=None, priority="urgent", reason="danger_now", now=clock())
            async with svc.db.sessions() as s:
                names = (await s.scalars(
                    select(StaffMember.name).join(StaffAlert, StaffAlert.staff_id == StaffMember.id)
                    .where(StaffAlert.escalation_id == esc.id))).all()
            assert names == ["on"]
        finally:
            await boss.close()
