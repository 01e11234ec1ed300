"""On-call alerts a worker can act on from the phone: danger texts at the same moment reach the
on-call chat as one message (Telegram allows a bot one message a second to a chat, so five alerts
sent one by one used to arrive over four seconds); "I'm on it" under it claims the escalation for
the worker linked to that chat, and everyone else's alert says who took it; the SLA counts from when
it was raised, whoever is re-alerted. Driven through the real service and the fake Bot API."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.clock import ManualClock
from bot.oncall.alerts import CLAIM_PREFIX, AlertItem, compose
from bot.oncall.telegram_link import NOT_YOURS
from bot.storage.models import AuditEvent, Escalation, StaffMember
from safety.retention import RetentionPolicy
from scheduler.safety_jobs import SafetyJobs
from tests.console.test_oncall_alerts import SECRET, link_telegram, push
from tests.support.console import ConsoleClient, make_staff
from tests.support.fake_telegram import FakeTelegram, deliver
from tests.support.people import enrolled
from tests.support.running import serving, telegram_env, wait_until

ANA_CHAT, BOB_CHAT = 77702345, 77709876
DANGER = "he is outside my door right now"
NOW = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)


def at_telegrams_pace(env: dict[str, object]) -> dict[str, object]:
    return {**env, "TELEGRAM_CHAT_RATE_PER_SECOND": 1}


def alert_ids(texts: list[str]) -> set[int]:
    return {int(n) for t in texts for n in re.findall(r"#(\d+)", t)}


async def add_worker(svc, keyring, name: str, chat: int) -> None:  # type: ignore[no-untyped-def]
    async with svc.db.transaction() as s:
        s.add(StaffMember(name=name, roles=["liaison"], status="active", telegram_chat=str(chat),
                          telegram_chat_index=keyring.blind_index("telegram", str(chat))))


async def press(fake: FakeTelegram, base: str, chat: int, data: str) -> str:
    """The worker presses the button; returns the short answer Telegram shows them."""
    message = next(m for m in reversed(fake.screen(chat)) if m["from"] == "bot" and data in str(m["buttons"]))
    update = fake.user_presses(chat, message["message_id"], data)
    assert await deliver(update, base + "/webhooks/telegram", SECRET) == 200
    query = update["callback_query"]["id"]
    answer = await wait_until(lambda: fake.answered_callbacks.get(query))
    return str(answer.get("text") or "")


async def test_five_danger_texts_at_once_reach_the_on_call_chat_together_not_one_a_second(settings_env,
                                                                                          keyring) -> None:
    async with FakeTelegram() as fake, serving(at_telegrams_pace(telegram_env(settings_env, fake, SECRET)),
                                               keyring) as (svc, base):
        await add_worker(svc, keyring, "ana", ANA_CHAT)
        fake.chat(ANA_CHAT)
        hers = [55501000 + i for i in range(5)]
        for i, chat in enumerate(hers):
            await enrolled(svc.db, keyring, channel="telegram", address=str(chat), pseudonym=f"ps-her-{i}")

        await asyncio.gather(*(push(fake, base, chat, DANGER) for chat in hers))

        async with svc.db.sessions() as s:
            raised = set((await s.scalars(select(Escalation.id).where(Escalation.priority == "urgent"))).all())
        assert len(raised) == 5
        texts = await wait_until(lambda: fake.bot_texts(ANA_CHAT) if alert_ids(fake.bot_texts(ANA_CHAT)) == raised
                                 else None)
        assert len(texts) <= 2  # the first at once; all the others together on the chat's next turn
        assert any(re.match(r"\d urgent \u2014 oldest \d+ s: #\d+, #\d+", t) for t in texts) or len(texts) == 1
        assert not any("ps-her" in t for t in texts)  # no survivor data in an alert
        buttons = [d for m in fake.screen(ANA_CHAT) for d, _label in m["buttons"]]
        assert sorted(buttons) == sorted(f"{CLAIM_PREFIX}{i}" for i in raised)  # one "I'm on it" each


async def test_im_on_it_claims_it_for_the_linked_worker_and_the_other_alert_says_who_took_it(settings_env,
                                                                                            keyring) -> None:
    async with FakeTelegram() as fake, serving(telegram_env(settings_env, fake, SECRET), keyring) as (svc, base):
        ana = ConsoleClient(base)
        try:
            assert await ana.sign_in(await make_staff(svc, "ana", ["liaison"]), svc.clock()) == 303
            await link_telegram(ana, fake, ANA_CHAT)
            await add_worker(svc, keyring, "bob", BOB_CHAT)
            fake.chat(BOB_CHAT)
            await enrolled(svc.db, keyring, channel="telegram", address="55501234", pseudonym="ps-her")
            await push(fake, base, 55501234, DANGER)
            await wait_until(lambda: any("Urgent alert #" in t for t in fake.bot_texts(BOB_CHAT)))
            await wait_until(lambda: any("Urgent alert #" in t for t in fake.bot_texts(ANA_CHAT)))
            async with svc.db.sessions() as s:
                esc_id = await s.scalar(select(Escalation.id).where(Escalation.priority == "urgent"))

            answer = await press(fake, base, ANA_CHAT, f"{CLAIM_PREFIX}{esc_id}")

            assert answer == f"You have #{esc_id} now."
            _status, rows, _ = await ana.get("/console/queue/rows")
            row = rows.split(f'data-escalation="{esc_id}"', 1)[1].split("</tr>", 1)[0]
            assert '<td class="holder">ana</td>' in row and "/claim" not in row  # the console shows the holder
            taken = f"Urgent alert #{esc_id} \u2014 taken by ana"
            await wait_until(lambda: fake.bot_texts(BOB_CHAT)[-1:] == [taken])  # his alert, edited in place
            bob_alert = [m for m in fake.screen(BOB_CHAT) if m["from"] == "bot"][-1]
            assert bob_alert["edited"] and bob_alert["buttons"] == []
            await wait_until(lambda: fake.bot_texts(ANA_CHAT)[-1:] == [taken])
            async with svc.db.sessions() as s:
                audit = (await s.scalars(select(AuditEvent).where(AuditEvent.action == "escalation.claimed"))).all()
                ana_id = await s.scalar(select(StaffMember.id).where(StaffMember.name == "ana"))
            assert [(a.actor, a.survivor_pseudonym) for a in audit] == [(f"staff:{ana_id}", "ps-her")]
        finally:
            await ana.close()


async def test_im_on_it_from_a_chat_no_longer_linked_is_refused_and_claims_nothing(settings_env, keyring) -> None:
    async with FakeTelegram() as fake, serving(telegram_env(settings_env, fake, SECRET), keyring) as (svc, base):
        await add_worker(svc, keyring, "bob", BOB_CHAT)
        fake.chat(BOB_CHAT)
        await enrolled(svc.db, keyring, channel="telegram", address="55501234", pseudonym="ps-her")
        await push(fake, base, 55501234, DANGER)
        await wait_until(lambda: any("Urgent alert #" in t for t in fake.bot_texts(BOB_CHAT)))
        async with svc.db.transaction() as s:  # the account is linked elsewhere now
            bob = await s.scalar(select(StaffMember).where(StaffMember.name == "bob"))
            assert bob is not None
            bob.telegram_chat, bob.telegram_chat_index = None, None
            esc_id = await s.scalar(select(Escalation.id).where(Escalation.priority == "urgent"))

        answer = await press(fake, base, BOB_CHAT, f"{CLAIM_PREFIX}{esc_id}")

        assert answer == NOT_YOURS
        async with svc.db.sessions() as s:
            esc = await s.get(Escalation, esc_id)
            assert esc is not None and esc.holder_id is None and esc.status == "open"
            assert (await s.scalars(select(AuditEvent).where(AuditEvent.action == "escalation.claimed"))).all() == []


async def test_the_sla_after_a_re_alert_still_counts_from_when_it_was_raised(settings_env, keyring) -> None:
    clock = ManualClock(NOW)
    async with FakeTelegram() as fake, serving(telegram_env(settings_env, fake, SECRET), keyring,
                                               clock=clock) as (svc, base):
        boss = ConsoleClient(base)
        try:
            assert await boss.sign_in(await make_staff(svc, "boss", ["supervisor", "liaison"]), clock()) == 303
            await add_worker(svc, keyring, "bob", BOB_CHAT)
            fake.chat(BOB_CHAT)
            await enrolled(svc.db, keyring, channel="telegram", address="55501234", pseudonym="ps-her")
            await push(fake, base, 55501234, DANGER)
            async with svc.db.sessions() as s:
                esc = await s.scalar(select(Escalation).where(Escalation.priority == "urgent"))
            assert esc is not None and esc.due_at == esc.created_at + timedelta(minutes=5)
            jobs = SafetyJobs(svc.db, retention=RetentionPolicy(), route_check_days=28, clock=clock)

            _s, page, _ = await boss.get("/console/queue/rows")
            assert ">5 min left</td>" in page
            clock.advance(minutes=6)
            await jobs.run_once()  # unclaimed past its SLA: bob is told again
            clock.advance(minutes=1)

            async with svc.db.sessions() as s:
                again = await s.get(Escalation, esc.id)
                assert again is not None and again.alert_round == 2 and again.due_at == esc.due_at
            _s, page, _ = await boss.get("/console/queue/rows")
            assert ">overdue 2 min</td>" in page and 'title="breached"' in page  # 7 minutes waiting: not "ok"
            assert (await boss.post(f"/console/escalations/{esc.id}/claim"))[0] == 303
            _s, page, _ = await boss.get("/console/queue/rows")
            assert ">taken after 7 min (late)</td>" in page
        finally:
            await boss.close()


async def test_claimed_in_the_console_the_on_call_alerts_say_who_took_it(settings_env, keyring) -> None:
    async with FakeTelegram() as fake, serving(telegram_env(settings_env, fake, SECRET), keyring) as (svc, base):
        ana = ConsoleClient(base)
        try:
            assert await ana.sign_in(await make_staff(svc, "ana", ["liaison"]), svc.clock()) == 303
            await add_worker(svc, keyring, "bob", BOB_CHAT)
            fake.chat(BOB_CHAT)
            await enrolled(svc.db, keyring, channel="telegram", address="55501234", pseudonym="ps-her")
            await push(fake, base, 55501234, DANGER)
            await wait_until(lambda: any("Urgent alert #" in t for t in fake.bot_texts(BOB_CHAT)))
            async with svc.db.sessions() as s:
                esc_id = await s.scalar(select(Escalation.id).where(Escalation.priority == "urgent"))

            status, _page, _ = await ana.post(f"/console/escalations/{esc_id}/claim")

            assert status == 303
            await wait_until(lambda: fake.bot_texts(BOB_CHAT)[-1:] == [f"Urgent alert #{esc_id} \u2014 taken by ana"])
            assert [m for m in fake.screen(BOB_CHAT) if m["from"] == "bot"][-1]["buttons"] == []
        finally:
            await ana.close()


def test_a_coalesced_alert_names_only_numbers_waiting_time_and_who_took_each() -> None:
    items = [AlertItem(12, False, NOW - timedelta(seconds=40), None), AlertItem(13, True, NOW, None),
             AlertItem(14, False, NOW, "ana")]
    text, buttons = compose(items, NOW)
    assert text == "2 urgent \u2014 oldest 40 s: #12, #13 (reminder), #14 taken by ana \u2014 open the console"
    assert [b.payload for b in buttons] == [f"{CLAIM_PREFIX}12", f"{CLAIM_PREFIX}13"]
    assert compose([AlertItem(12, False, NOW, "ana")], NOW) == ("Urgent alert #12 \u2014 taken by ana", ())
