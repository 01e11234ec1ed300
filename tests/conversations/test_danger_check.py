"""Maybe danger: she is asked "do you need help right now?"; a yes or her silence reaches the team."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.storage.models import Escalation, OutboundMessage, StaffAlert, StaffMember
from safety.retention import RetentionPolicy
from scheduler.safety_jobs import SafetyJobs
from tests.conversations.conftest import Chat, enrol, enrol_in_german

UNSURE = "he grabbed me"  # harm named, no time given: the danger decision asks (safety/danger_decision.py)


async def _escalations(chat: Chat) -> list[tuple[str, str, str]]:
    async with chat.service.db.sessions() as s:
        rows = (await s.scalars(select(Escalation).order_by(Escalation.id))).all()
        return [(e.priority, e.reason, e.status) for e in rows]


def _tick_at(chat: Chat, at: datetime) -> SafetyJobs:
    return SafetyJobs(chat.service.db, retention=RetentionPolicy(), route_check_days=28, clock=lambda: at)


async def test_an_unsure_message_is_answered_with_one_question_in_cover_wording(chat: Chat) -> None:
    phone = chat.phone("her")
    await enrol(phone, await chat.invite())
    reply = await phone.send(UNSURE)
    assert reply.says("Quick question: do you need help right now?")
    assert reply.text.startswith("🌱 Green Thumbs Club")  # her cover title first, nothing about us
    assert [label for _payload, label in reply.buttons] == ["Yes", "No", "🚪 Exit"]  # her exit under every keyboard
    assert await _escalations(chat) == [("urgent", "danger_unanswered", "held")]


async def test_yes_shows_the_numbers_at_once_and_raises_an_urgent_alert(chat: Chat) -> None:
    phone = chat.phone("her")
    await enrol(phone, await chat.invite())
    await phone.send(UNSURE)
    reply = await phone.tap("Yes")
    assert reply.says("999")
    assert await _escalations(chat) == [("urgent", "danger_unanswered", "closed"), ("urgent", "danger_now", "open")]


async def test_yes_to_a_question_about_her_own_life_gives_the_crisis_line_and_a_self_harm_alert(chat: Chat) -> None:
    phone = chat.phone("her")
    await enrol(phone, await chat.invite())
    asked = await phone.send("i dont think im driving home tonight")  # a warning sign, no method named
    assert asked.says("Quick question: do you need help right now?")  # the same neutral question
    reply = await phone.tap("Yes")
    assert reply.says("116 123")  # the crisis line of her country, beside the emergency number
    assert await _escalations(chat) == [("urgent", "danger_unanswered", "closed"), ("urgent", "self_harm", "open")]


async def test_no_closes_the_question_and_nothing_alerts_later(chat: Chat) -> None:
    phone = chat.phone("her")
    await enrol(phone, await chat.invite())
    await phone.send(UNSURE)
    reply = await phone.tap("No")
    assert reply.says("OK, thank you.")
    await _tick_at(chat, datetime.now(UTC) + timedelta(minutes=10)).run_once()
    assert await _escalations(chat) == [("urgent", "danger_unanswered", "closed")]


async def test_no_answer_within_five_minutes_still_alerts_the_team(chat: Chat) -> None:
    phone = chat.phone("her")
    await enrol(phone, await chat.invite())
    await phone.send(UNSURE)
    early = await _tick_at(chat, datetime.now(UTC) + timedelta(minutes=1)).run_once()
    assert early.unanswered == 0
    assert await _escalations(chat) == [("urgent", "danger_unanswered", "held")]
    late = await _tick_at(chat, datetime.now(UTC) + timedelta(minutes=6)).run_once()
    assert late.unanswered == 1
    assert await _escalations(chat) == [("urgent", "danger_unanswered", "open")]
    again = await _tick_at(chat, datetime.now(UTC) + timedelta(minutes=7)).run_once()
    assert again.unanswered == 0  # opened once


async def test_her_silence_after_the_question_alerts_the_on_call_worker_once(chat: Chat) -> None:
    async with chat.service.db.transaction() as s:
        s.add(StaffMember(name="on-call", roles=["liaison"], status="active", telegram_chat="9001",
                          telegram_chat_index=chat.service.keyring.blind_index("telegram", "9001")))
    phone = chat.phone("her")
    await enrol(phone, await chat.invite())
    await phone.send(UNSURE)

    async def alerts() -> list[tuple[str, int]]:
        async with chat.service.db.sessions() as s:
            return [tuple(r) for r in (await s.execute(
                select(StaffMember.name, StaffAlert.round).join(StaffAlert, StaffAlert.staff_id == StaffMember.id)
            )).all()]

    assert await alerts() == []  # held: nobody is woken while she may still answer
    await _tick_at(chat, datetime.now(UTC) + timedelta(minutes=6)).run_once()
    await _tick_at(chat, datetime.now(UTC) + timedelta(minutes=6)).run_once()
    assert await alerts() == [("on-call", 1)]  # her silence reached a person, once
    async with chat.service.db.sessions() as s:
        rows = (await s.scalars(select(OutboundMessage).where(OutboundMessage.kind == "staff_alert"))).all()
    assert [(r.survivor_id, r.body.startswith("Urgent alert #")) for r in rows] == [(None, True)]


async def test_a_german_survivor_is_asked_in_german_and_can_answer_ja(chat: Chat) -> None:
    phone = chat.phone("sie")
    await enrol_in_german(phone, chat)
    reply = await phone.send("er hat mich gepackt")
    assert reply.says("Brauchen Sie gerade jetzt Hilfe?")
    assert (await phone.send("ja")).says("110")


async def test_saying_she_is_fine_and_safe_now_raises_nothing_and_asks_nothing(chat: Chat) -> None:
    phone = chat.phone("her")
    await enrol(phone, await chat.invite())
    reply = await phone.send("dont worry im fine and safe now")
    assert not reply.says("do you need help") and not reply.says("999")
    assert await _escalations(chat) == []


async def test_asking_not_to_be_texted_late_because_he_reads_her_phone_is_not_danger(chat: Chat) -> None:
    phone = chat.phone("her")
    await enrol(phone, await chat.invite())
    reply = await phone.send("pls dont text me after 7 he reads my phone")
    assert not reply.says("do you need help") and not reply.says("999")
    assert await _escalations(chat) == []
