"""A notice from his side of her phone, on Telegram and SMS (the fake Bot API and the fake Twilio):
the lock screen shows her cover and "a new note", nothing of his programme; the text opens only
after her PIN; it expires from the chat; a routine notice waits for her safe times, an urgent one
goes at once (still behind the neutral preview); her "Got it" is on the notice's timeline."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot import catalog
from bot.actions.expiry import expire_due
from bot.notices import review
from bot.storage.models import CallbackRequest, OutboundMessage
from safety.disguise import Disguise, revealing_preview, sensitive_hits
from tests.support.her_phone import DURESS, EVERY_CHANNEL, PIN, HerPhone, her_phone
from tests.support.notices import at, drafted, escalations, notice, timeline, worker

EVENINGS = [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "18:00", "end": "20:00"}]
TITLE = "🌱 Green Thumbs Club"


@pytest.fixture(params=EVERY_CHANNEL)
async def her(request: pytest.FixtureRequest, settings_env: dict[str, object], keyring) -> AsyncIterator[HerPhone]:
    async with her_phone(request.param, settings_env, keyring) as phone:
        yield phone


async def approved(her: HerPhone, survivor_id: int, kind: str, **event: object) -> int:
    """A notice drafted from an event and approved (urgent kinds: by two people)."""
    made = await drafted(her.svc, survivor_id, kind, **event)
    assert made is not None
    ana, sam = await worker(her.svc, "ana", ["liaison"]), await worker(her.svc, "sam", ["supervisor"])
    async with her.svc.db.transaction() as s:
        row = await s.get(type(made), made.id)
        await review.approve(s, row, ana, her.clock())
        if row.urgent:
            await review.second_approve(s, row, sam, her.clock())
    her.svc.dispatcher.wake()
    await her.settled()
    return made.id


def lock_screen_is_clean(text: str, locale: str = "en") -> bool:
    pattern, numbers = catalog.sensitive_pattern(locale), catalog.emergency_number_pattern(locale)
    return not revealing_preview(text, pattern, numbers) and not sensitive_hits(text, pattern)


async def open_notice(her: HerPhone) -> None:
    """She asks to read it: the Read button where there are buttons, else "1"."""
    if her.caps.inline_buttons:
        await her.choose("Read")
    else:
        await her.send("1")


async def test_the_preview_is_neutral_and_the_text_opens_only_after_her_pin(her: HerPhone) -> None:
    sid, _ = await her.enrolled(timezone="UTC")
    before = len(her.bot_messages())
    notice_id = await approved(her, sid, "dropped_out")
    (preview,) = [m["text"] for m in her.bot_messages()[before:]]
    assert preview.startswith(TITLE + "\nA new note for you — reply 1 to read.")
    assert lock_screen_is_clean(preview)  # the whole message, not only its first line
    assert (await notice(her.svc, notice_id)).status == "sent"

    await open_notice(her)
    assert her.last.says("Please send your PIN") and not her.last.says("programme")
    opened = await her.send(PIN)
    if not her.caps.deletes_messages:  # a text stays on her phone: she is warned, and may have a call instead
        assert opened.says("text messages stay on the phone") and not opened.says("programme")
        opened = await her.choose("Send it anyway")
    (text,) = opened.texts
    assert text.startswith(TITLE + "\nYour note is below.")
    assert "He stopped coming to the programme on 9 March 2026." in text
    assert lock_screen_is_clean(text.split("\n")[0] + "\n" + text.split("\n")[1])
    got_it = await her.choose("Got it")
    assert got_it.says("Thank you, noted.")

    row = await notice(her.svc, notice_id)
    assert (row.status, row.response) == ("acknowledged", "got_it")
    steps = await timeline(her.svc, notice_id)
    assert steps[:5] == ["drafted", "approved", "queued", "sent", "opened"] and steps[-1] == "acknowledged"


async def test_a_wrong_or_duress_pin_shows_her_only_the_cover(her: HerPhone) -> None:
    sid, _ = await her.enrolled(timezone="UTC")
    notice_id = await approved(her, sid, "risk_raised")
    await open_notice(her)
    for wrong in ("9999", DURESS):
        reply = await her.send(wrong)
        assert reply.says("PIN not recognised") and not reply.says("risk")
        await open_notice(her) if her.caps.inline_buttons else await her.send("1")
    assert "opened" not in await timeline(her.svc, notice_id)
    assert [e.reason for e in await escalations(her.svc, "duress_pin")] == ["duress_pin"]


async def test_a_routine_notice_waits_for_her_safe_times_and_an_urgent_one_goes_at_once(her: HerPhone) -> None:
    her.clock.set(at(her.clock(), 10))
    sid, _ = await her.enrolled(timezone="UTC", contact_windows=EVENINGS)
    before = len(her.bot_messages())
    routine = await approved(her, sid, "completed")
    assert her.bot_messages()[before:] == []
    assert (await notice(her.svc, routine)).status == "queued"

    urgent = await approved(her, sid, "excluded", reason_class="violence_threat")
    (preview,) = [m["text"] for m in her.bot_messages()[before:]]
    assert preview.startswith(TITLE + "\nA new note for you") and lock_screen_is_clean(preview)
    assert (await notice(her.svc, urgent)).status == "sent"

    her.clock.set(at(her.clock(), 17, 59))
    her.svc.dispatcher.wake()
    await her.settled()
    assert len(her.bot_messages()[before:]) == 1
    her.clock.set(at(her.clock(), 18, 1))
    her.svc.dispatcher.wake()
    await her.settled()
    assert len(her.bot_messages()[before:]) == 2
    assert (await notice(her.svc, routine)).status == "sent"


async def test_the_opened_notice_expires_from_her_chat(her: HerPhone) -> None:
    sid, _ = await her.enrolled(timezone="UTC", expiry_minutes=30)
    await approved(her, sid, "risk_raised")
    await open_notice(her)
    opened = await her.send(PIN)
    if not her.caps.deletes_messages:
        opened = await her.choose("Send it anyway")
    assert opened.says("assessed the risk from him as higher")
    async with her.svc.db.sessions() as s:
        row = await s.scalar(select(OutboundMessage).where(OutboundMessage.text_key == "notice.text"))
    assert row is not None and row.sensitive and row.expires_at == row.sent_at + timedelta(minutes=30)

    her.clock.advance(minutes=31)
    async with her.svc.db.transaction() as s:
        assert await expire_due(s, her.clock()) >= 1
    her.svc.dispatcher.wake()
    await her.settled()
    async with her.svc.db.sessions() as s:
        row = await s.get(OutboundMessage, row.id)
    assert row.body is None and row.deleted_at is not None  # nothing of it left in our records
    if her.caps.deletes_messages:  # and gone from her chat (an SMS cannot be taken back: she was warned)
        assert not any("higher than before" in t for t in her.screen_texts())


async def test_ring_me_asks_for_a_call_back_at_her_safe_times_and_tells_a_worker(her: HerPhone) -> None:
    sid, _ = await her.enrolled(timezone="UTC")
    notice_id = await approved(her, sid, "new_incident")
    await open_notice(her)
    opened = await her.send(PIN)
    if not her.caps.deletes_messages:
        opened = await her.choose("Send it anyway")
    assert opened.says("new incident")
    rung = await her.choose("Ring me")
    (esc,) = await escalations(her.svc, "notice_ring_me")
    assert esc.priority == "high" and esc.survivor_id == sid
    if her.caps.phone_address:  # this number at her safe times: both known, so booked and said
        assert rung.says("We will ring at one of your good times")
    else:  # no number known (a chat): asked first, booked when she confirms (issue 22, item 7)
        assert not rung.says("We will ring") and rung.says("when and on which number")
        await her.choose("00:00")  # her own safe time
        await her.send("07700 900123")
        assert (await her.choose("Yes, please")).says("We will ring at one of those times")
    async with her.svc.db.sessions() as s:
        (callback,) = (await s.scalars(select(CallbackRequest))).all()
    assert callback.windows and callback.phone
    if her.caps.phone_address:
        assert callback.escalation_id == esc.id
    row = await notice(her.svc, notice_id)
    assert (row.status, row.response) == ("acknowledged", "ring_me")
    assert (await timeline(her.svc, notice_id))[-1] == "ring_me"


@pytest.mark.parametrize("locale", ("en", "de"))
async def test_in_german_too_the_lock_screen_shows_only_her_cover(her: HerPhone, locale: str) -> None:
    sid, _ = await her.enrolled(timezone="UTC", locale=locale, country="DE" if locale == "de" else "GB")
    before = len(her.bot_messages())
    await approved(her, sid, "conditions_changed")
    (preview,) = [m["text"] for m in her.bot_messages()[before:]]
    assert preview.startswith(catalog.title(locale, Disguise("garden")) + "\n")
    assert lock_screen_is_clean(preview, locale)


async def test_on_sms_the_delivery_receipt_is_on_the_timeline_once(settings_env: dict[str, object], keyring) -> None:
    async with her_phone("sms", settings_env, keyring) as her:
        sid, _ = await her.enrolled(timezone="UTC")
        notice_id = await approved(her, sid, "started")
        async with her.svc.db.sessions() as s:
            row = await s.scalar(select(OutboundMessage).where(OutboundMessage.text_key == "notice.preview"))
        assert row is not None and row.provider_message_id
        assert her.twilio is not None
        for status in ("sent", "delivered", "delivered"):
            assert (await her.twilio.status_callback(row.provider_message_id, status)).status == 200
        assert await timeline(her.svc, notice_id) == ["drafted", "approved", "queued", "sent", "delivered"]


async def test_quick_exit_after_reading_a_notice_leaves_only_her_cover_on_the_screen(
        settings_env: dict[str, object], keyring) -> None:
    async with her_phone("telegram", settings_env, keyring) as her:
        sid, _ = await her.enrolled(timezone="UTC")
        await approved(her, sid, "excluded", reason_class="violence_threat")
        await her.choose("Read")
        assert (await her.send(PIN)).says("because of violence or threats")
        await her.send("EXIT")
        screen = her.screen_texts()
        assert len(screen) == 1 and screen[0].startswith(TITLE + "\n")  # one cover message, nothing else
        assert lock_screen_is_clean(screen[0])


async def test_a_number_she_types_answers_what_arrived_last_not_an_older_notice(her: HerPhone) -> None:
    sid, _ = await her.enrolled(timezone="UTC", pin_hash=None, duress_pin_hash=None)
    notice_id = await approved(her, sid, "risk_lowered")
    opened = await her.send("1")  # the preview is the newest: "1" reads it (no PIN set)
    if not her.caps.deletes_messages:
        opened = await her.send("1")  # "Send it anyway"
    assert opened.says("lower than before")
    async with her.svc.db.transaction() as s:  # a worker's message arrives after it
        from bot.storage.models import ChannelIdentity

        identity = await s.scalar(select(ChannelIdentity).where(ChannelIdentity.survivor_id == sid))
        assert identity is not None
        from bot.outbox.enqueue import enqueue

        enqueue(s, channel=identity.channel, address=identity.address, address_index=identity.address_index,
                cause="test:newer", index=0, text_key="console.message", body=TITLE + "\nShall we talk?",
                survivor_id=sid, identity_id=identity.id, is_reply=False)
    her.svc.dispatcher.wake()
    await her.settled()
    await her.send("1")  # not "Got it" on the notice above it
    assert (await notice(her.svc, notice_id)).response is None
