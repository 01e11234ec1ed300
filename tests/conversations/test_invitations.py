"""Nobody enrols without a valid, unexpired, unused invitation, and guessing codes gets nowhere."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.enrolment import REJECT_LIMIT
from bot.storage.models import AuditEvent, Invitation, Survivor
from tests.conversations.conftest import Chat

NEUTRAL = "Sorry, this chat does not take messages. Have a nice day."


async def _survivors(chat: Chat) -> int:
    async with chat.service.db.sessions() as s:
        return int(await s.scalar(select(func.count(Survivor.id))) or 0)


async def test_a_wrong_code_gets_the_same_neutral_reply_as_any_stranger(chat: Chat) -> None:
    stranger = await chat.phone("stranger").send("hello?")
    guesser = await chat.phone("guesser").send("ABCD-EFGH")
    assert stranger.texts == [NEUTRAL]
    assert guesser.texts == [NEUTRAL]
    assert await _survivors(chat) == 0


async def test_an_invitation_works_once_and_a_reused_code_looks_like_a_wrong_one(chat: Chat) -> None:
    code = await chat.invite()
    first = await chat.phone("her").send(code)
    assert first.says("anyone who looks at this phone")
    second = await chat.phone("someone-else").send(code)
    assert second.texts == [NEUTRAL]
    assert await _survivors(chat) == 1
    async with chat.service.db.sessions() as s:
        invitation = await s.scalar(select(Invitation))
        assert invitation is not None and invitation.used_at is not None and invitation.survivor_id is not None


async def test_an_expired_invitation_is_refused_neutrally(chat: Chat) -> None:
    code = await chat.invite(valid_for=timedelta(seconds=-1))
    reply = await chat.phone("her").send(code)
    assert reply.texts == [NEUTRAL]
    assert await _survivors(chat) == 0


async def test_an_invitation_for_another_channel_is_refused(chat: Chat) -> None:
    code = await chat.invite(channel="telegram")
    assert (await chat.phone("her").send(code)).texts == [NEUTRAL]


async def test_repeated_wrong_codes_are_rate_limited_even_when_the_right_one_follows(chat: Chat) -> None:
    code = await chat.invite()
    guesser = chat.phone("guesser")
    for n in range(REJECT_LIMIT):
        assert (await guesser.send(f"ZZZZ-ZZZ{n + 2}")).texts == [NEUTRAL]
    blocked = await guesser.send(code)
    assert blocked.texts == [NEUTRAL]
    assert await _survivors(chat) == 0
    async with chat.service.db.sessions() as s:
        events = (await s.scalars(select(AuditEvent).where(AuditEvent.action == "enrol.code_rejected"))).all()
    assert len(events) == REJECT_LIMIT + 1
    assert {e.details["reason"] for e in events} == {"unknown", "limited"}
    assert all(e.actor.startswith("sender:") and "guesser" not in e.actor for e in events)
    # the same code still works for her on her own phone: the limit is per sender
    assert (await chat.phone("her").send(code)).says("anyone who looks at this phone")


async def test_the_limit_lifts_after_an_hour(chat: Chat) -> None:
    code = await chat.invite()
    guesser = chat.phone("guesser")
    for n in range(REJECT_LIMIT):
        await guesser.send(f"ZZZZ-ZZZ{n + 2}")
    chat.clock(timedelta(hours=1, minutes=1))
    assert (await guesser.send(code)).says("anyone who looks at this phone")


async def test_telegram_deep_link_start_parameter_is_accepted_as_the_code(chat: Chat) -> None:
    code = await chat.invite()
    reply = await chat.phone("her").send("/start " + code.replace("-", ""))
    assert reply.says("anyone who looks at this phone")
