"""Stop ends everything at once and is confirmed in cover wording; start resumes; help helps."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.outbox.enqueue import enqueue
from bot.storage.models import ChannelIdentity, OutboundMessage, Survivor
from tests.conversations.conftest import Chat, enrol


async def test_stop_ends_all_messages_at_once_and_start_brings_them_back(chat: Chat) -> None:
    phone = chat.phone("her")
    await enrol(phone, await chat.invite())
    async with chat.service.db.transaction() as s:  # something already queued for later
        survivor = await s.scalar(select(Survivor))
        identity = await s.scalar(select(ChannelIdentity))
        assert survivor is not None and identity is not None
        enqueue(s, channel="simulator", address="her", address_index=identity.address_index, cause="later",
                index=0, text_key="menu.cover", body="queued", survivor_id=survivor.id, identity_id=identity.id,
                is_reply=False, not_before=datetime(2999, 1, 1, tzinfo=UTC))

    stopped = await phone.send("Stop")
    assert stopped.texts == ["🌱 Green Thumbs Club\nYou are unsubscribed and will not get any more messages. "
                             "Reply START to subscribe again."]
    async with chat.service.db.sessions() as s:
        survivor = await s.scalar(select(Survivor))
        identity = await s.scalar(select(ChannelIdentity))
        queued = await s.scalar(select(OutboundMessage).where(OutboundMessage.text_key == "menu.cover",
                                                              OutboundMessage.is_reply.is_(False)))
    assert survivor is not None and survivor.status == "stopped"
    assert identity is not None and identity.status == "stopped"
    assert queued is not None and queued.status == "cancelled"

    assert (await phone.send("hello")).says("Reply START")
    back = await phone.send("START")
    assert back.says("subscribed again") and back.says("What would you like?")
    async with chat.service.db.sessions() as s:
        survivor = await s.scalar(select(Survivor))
        identity = await s.scalar(select(ChannelIdentity))
    assert survivor is not None and survivor.status == "active"
    assert identity is not None and identity.status == "active"


async def test_the_stop_button_in_the_menu_stops_too(chat: Chat) -> None:
    phone = chat.phone("her")
    await enrol(phone, await chat.invite())
    assert (await phone.tap("Stop all messages")).says("unsubscribed")


async def test_stop_works_in_the_middle_of_onboarding(chat: Chat) -> None:
    phone = chat.phone("her")
    await phone.send(await chat.invite())
    await phone.tap("Continue")
    assert (await phone.send("STOP")).says("unsubscribed")


async def test_help_lists_the_words_that_always_work(chat: Chat) -> None:
    phone = chat.phone("her")
    await enrol(phone, await chat.invite())
    help_reply = await phone.send("help")
    assert help_reply.says("MENU") and help_reply.says("STOP") and help_reply.says("NUMBERS")


async def test_quick_exit_leaves_one_innocuous_cover_message_from_any_state(chat: Chat) -> None:
    phone = chat.phone("her")
    await enrol(phone, await chat.invite())
    await phone.tap("Settings")
    await phone.tap("Language")
    gone = await phone.send("exit")
    assert len(gone.messages) == 1 and gone.buttons == []
    assert gone.texts[0].startswith("🌱 Green Thumbs Club\nTip of the day")
    assert [m["text"] for m in phone.screen] == gone.texts  # the chat now holds only that
    assert (await phone.send("menu")).says("What would you like?")  # the locked cover menu
    assert (await phone.tap("Settings")).says("Please send your PIN")


async def test_delete_my_data_asks_twice_then_erases_everything_after_the_confirmation(chat: Chat) -> None:
    from datetime import UTC, datetime

    from bot.storage.models import AuditEvent
    from safety.retention import RetentionPolicy
    from scheduler.safety_jobs import SafetyJobs
    from tests.support.db_scan import everything_stored

    phone = chat.phone("her")
    await enrol(phone, await chat.invite())
    assert (await phone.tap("Delete my data")).says("cannot be undone")
    kept = await phone.tap("No, keep it")
    assert kept.says("What would you like")
    await phone.tap("Delete my data")
    assert (await phone.tap("Yes, delete")).says("Are you sure")
    done = await phone.tap("Yes, I am sure")
    assert done.says("Your details are being deleted")
    async with chat.service.db.sessions() as s:
        survivor = await s.scalar(select(Survivor))
    assert survivor is not None and survivor.status == "erasing"
    jobs = SafetyJobs(chat.service.db, retention=RetentionPolicy(), route_check_days=28)
    assert await jobs.erase_requested(datetime.now(UTC)) == 1
    await chat.service.dispatcher.dispatch_due()
    async with chat.service.db.sessions() as s:
        assert await s.scalar(select(Survivor)) is None
        actions = set((await s.scalars(select(AuditEvent.action))).all())
    assert {"erase.requested", "erased"} <= actions
    assert phone.chat.service.channels["simulator"].transcript("her") == []
    assert "her" not in [v.strip("'") for v in (await everything_stored(chat.service.db)).split("\n")]
