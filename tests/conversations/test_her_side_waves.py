"""Issue 15, items 3 and 4, from her side on every channel: a survey her quick exit took away
before she saw it is withdrawn (not a non-response) and offered once more at her next window; after a
quick exit the menu leads back to questions she had begun; no survey opens by itself while she is
writing to us (within 30 minutes of her last message)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select

from bot.storage.models import OutboundMessage, WaveInstance
from bot.waves.delivery import QUIET_AFTER_HER_MESSAGE
from evaluation.codebook import build_codebook
from flows.questionnaires import default_questionnaires
from scheduler.jobs import WaveJobs
from scheduler.waves import default_wave_config
from tests.support.her_phone import EVERY_CHANNEL, HerPhone, her_phone

AFTERNOON = [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "14:00", "end": "16:00"}]
ALL_DAY = [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "24:00"}]
CONTINUE = {"en": ("MENU", "EXIT", "Continue the questions"), "de": ("MENÜ", "RAUS", "Fragen fortsetzen")}


@pytest.fixture(params=EVERY_CHANNEL)
async def her(request: pytest.FixtureRequest, settings_env: dict[str, object], keyring) -> AsyncIterator[HerPhone]:
    async with her_phone(request.param, settings_env, keyring) as phone:
        yield phone


def at(her: HerPhone, days: int, hour: int, minute: int = 0) -> datetime:
    """A time of day (UTC, her zone in these tests) `days` after the test began."""
    start = her.clock()
    return datetime.combine(start.date() + timedelta(days=days), time(hour, minute), start.tzinfo)


def jobs(her: HerPhone) -> WaveJobs:
    return WaveJobs(her.svc.db, her.svc.keyring, clock=her.clock, on_outbox=her.svc.dispatcher.wake)


async def intake(her: HerPhone) -> WaveInstance:
    async with her.svc.db.sessions() as s:
        inst = await s.scalar(select(WaveInstance).where(WaveInstance.wave_code == "T0"))
    assert inst is not None
    return inst


async def opening_rows(her: HerPhone) -> list[OutboundMessage]:
    async with her.svc.db.sessions() as s:
        return list((await s.scalars(select(OutboundMessage).where(OutboundMessage.text_key == "checkin.opening")
                                     .order_by(OutboundMessage.id))).all())


async def test_a_survey_her_quick_exit_withdrew_is_not_counted_as_sent_and_comes_back_once(her: HerPhone) -> None:
    await her.enrolled(timezone="UTC", contact_windows=AFTERNOON)
    her.clock.set(at(her, 1, 8))  # the intake is due; her window opens at 14:00
    await jobs(her).run_once()
    assert (await intake(her)).state == "queued"  # waiting in the outbox, not "sent"
    await her.settled()
    assert not any("questions" in m["text"] for m in her.bot_messages())

    await her.send("EXIT")
    withdrawn = await intake(her)
    assert (withdrawn.state, withdrawn.closed_reason) == ("withdrawn", "withdrawn_quick_exit")
    assert [r.status for r in await opening_rows(her)] == ["cancelled"]
    her.clock.set(at(her, 2, 12))
    await her.send("MENU")  # she is back (in a chat nothing routine follows her exit before she writes)

    her.clock.set(at(her, 2, 13))  # her next window (and, on SMS, after the quiet time exit set)
    await jobs(her).run_once()
    offered = await intake(her)
    assert offered.state == "queued" and offered.progress.get("offered_again") is True
    before = len(her.bot_messages())
    her.clock.set(at(her, 2, 14, 1))
    her.svc.dispatcher.wake()
    await her.settled()
    arrived = [m["text"] for m in her.bot_messages()[before:]]
    opening = [r for r in await opening_rows(her) if r.status == "sent"]
    assert len(opening) == 1 and any(text.startswith(opening[0].body) for text in arrived)  # on her phone now
    sent = await intake(her)
    assert sent.state == "sent" and sent.closed_reason == "withdrawn_quick_exit"  # the export can tell it apart

    await her.send("EXIT")  # withdrawn once more is not offered a third time
    her.clock.set(at(her, 4, 12))
    await her.send("MENU")
    her.clock.set(at(her, 4, 13))
    await jobs(her).run_once()
    assert len(await opening_rows(her)) == 2

    book = build_codebook(default_wave_config(), default_questionnaires(), now=her.clock())
    assert "withdrawn" in book["response_codes"] and "withdrawn_quick_exit" in book["wave_closed_reasons"]


@pytest.mark.parametrize("locale", ("en", "de"))
async def test_after_a_quick_exit_the_menu_leads_back_to_the_questions_she_had_begun(
        her: HerPhone, locale: str) -> None:
    menu, exit_word, label = CONTINUE[locale]
    await her.enrolled(timezone="UTC", contact_windows=ALL_DAY, locale=locale, country="GB")
    her.clock.set(at(her, 1, 11))
    await jobs(her).run_once()
    her.svc.dispatcher.wake()
    await her.settled()
    inst = await intake(her)
    assert inst.state == "sent"
    opening = her.bot_messages()[-1]
    if her.caps.inline_buttons:
        first_question = await her.press(int(opening["message_id"]), f"wave:{inst.id}:start")
    else:
        first_question = await her.send("1")
    assert first_question.texts
    second = await her.send("1")  # her answer to the first question
    assert second.texts

    await her.send(exit_word)
    back = await her.send(menu)
    if her.caps.inline_buttons:
        assert f"📝 {label}" in back.labels()
    else:
        assert f"1 📝 {label}" in back.text
    resumed = await her.choose(label)
    assert resumed.texts and resumed.texts[-1] == second.texts[-1]  # the question she was on
    answered = await her.send("1")  # and numbers answer the question again
    async with her.svc.db.sessions() as s:
        from bot.storage.models import Answer

        assert len((await s.scalars(select(Answer))).all()) == 2
    assert answered.texts


async def test_no_survey_opens_by_itself_while_she_is_writing_to_us(her: HerPhone) -> None:
    await her.enrolled(timezone="UTC", contact_windows=ALL_DAY)
    wrote_at = at(her, 1, 11)
    her.clock.set(wrote_at)
    await her.send("menu")
    await jobs(her).run_once()
    her.svc.dispatcher.wake()
    await her.settled()
    assert (await intake(her)).state == "queued"
    (row,) = await opening_rows(her)
    assert row.status == "pending" and row.next_attempt_at >= wrote_at + QUIET_AFTER_HER_MESSAGE
    assert not any(m["text"].startswith(row.body) for m in her.bot_messages())

    her.clock.advance(minutes=20)  # she is still reading: it waits for 30 minutes after this message too
    wrote_again = her.clock()
    await her.send("menu")
    (row,) = await opening_rows(her)
    assert row.status == "pending" and row.next_attempt_at >= wrote_again + QUIET_AFTER_HER_MESSAGE

    her.clock.advance(QUIET_AFTER_HER_MESSAGE + timedelta(minutes=1))
    her.svc.dispatcher.wake()
    await her.settled()
    assert her.bot_messages()[-1]["text"].startswith(row.body)
    assert (await intake(her)).state == "sent"
