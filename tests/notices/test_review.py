"""Drafting and review: one draft per event and survivor, in her language; four eyes for urgent
notices (one person can never both draft or approve and give the second approval, and nothing
leaves before it); one approval for routine ones, or none where a site chose auto-approval."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.notices import review
from bot.notices.drafting import draft_for_event
from bot.policies import NoticePolicy
from bot.storage.models import AuditEvent, Notice, OutboundMessage, ProgrammeEvent, Survivor
from tests.support.notices import drafted, notice, programme_event, timeline, worker
from tests.support.people import enrolled

ALL_DAY = [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "24:00"}]


async def her(service: Any, **fields: Any) -> int:
    sid, _ = await enrolled(service.db, service.keyring, channel="sms", address="+447700900488", pseudonym="ps-rev",
                            contact_windows=ALL_DAY, **fields)
    async with service.db.transaction() as s:
        from bot.storage.models import ConsentRecord

        s.add(ConsentRecord(survivor_id=sid, kind="information", granted=True, text_version="t", channel="sms"))
    return sid


async def act(service: Any, notice_id: int, what: str, who: review.Reviewer, body: str = "") -> str:
    async with service.db.transaction() as s:
        row = await s.get(Notice, notice_id)
        assert row is not None
        if what == "edit":
            await review.edit(s, row, who, body, service.clock())
            return "edited"
        if what == "approve":
            return await review.approve(s, row, who, service.clock())
        if what == "second":
            return await review.second_approve(s, row, who, service.clock())
        await review.withdraw(s, row, who, service.clock())
        return "withdrawn"


async def previews(service: Any) -> list[OutboundMessage]:
    async with service.db.sessions() as s:
        return list((await s.scalars(select(OutboundMessage).where(OutboundMessage.text_key == "notice.preview")))
                    .all())


async def test_one_person_cannot_both_approve_and_give_the_second_approval(service: Any) -> None:
    sid = await her(service)
    made = await drafted(service, sid, "risk_raised")
    assert made is not None and made.urgent and made.status == "draft"
    sam = await worker(service, "sam", ["liaison", "supervisor"])
    assert await act(service, made.id, "approve", sam) == "awaiting second approval"
    with pytest.raises(review.ReviewRefused, match="different person"):
        await act(service, made.id, "second", sam)
    assert await previews(service) == []  # nothing leaves on one person's word
    lee = await worker(service, "lee", ["liaison"])
    with pytest.raises(review.ReviewRefused, match="supervisor"):
        await act(service, made.id, "second", lee)
    kim = await worker(service, "kim", ["supervisor"])
    assert await act(service, made.id, "second", kim) == "queued"
    row = await notice(service, made.id)
    assert (row.approved_by, row.second_approved_by, row.status) == (sam.id, kim.id, "queued")
    assert len(await previews(service)) == 1
    assert await timeline(service, made.id) == ["drafted", "approved", "second_approved", "queued"]


async def test_whoever_wrote_the_text_cannot_give_the_second_approval(service: Any) -> None:
    sid = await her(service)
    made = await drafted(service, sid, "excluded", reason_class="violence_threat")
    assert made is not None and made.urgent
    kim = await worker(service, "kim", ["supervisor"])
    ana = await worker(service, "ana", ["liaison"])
    await act(service, made.id, "edit", kim, body=made.body + "\nWe will ring you today.")
    await act(service, made.id, "approve", ana)
    with pytest.raises(review.ReviewRefused, match="wrote this text"):
        await act(service, made.id, "second", kim)


async def test_an_edit_clears_the_approval_of_the_earlier_text(service: Any) -> None:
    sid = await her(service)
    made = await drafted(service, sid, "new_incident")
    assert made is not None
    ana, kim = await worker(service, "ana", ["liaison"]), await worker(service, "kim", ["supervisor"])
    await act(service, made.id, "approve", ana)
    await act(service, made.id, "edit", ana, body="A shorter text for her.")
    row = await notice(service, made.id)
    assert (row.approved_by, row.drafted_by, row.body) == (None, ana.id, "A shorter text for her.")
    with pytest.raises(review.ReviewRefused, match="follows a first one"):
        await act(service, made.id, "second", kim)
    with pytest.raises(review.ReviewRefused, match="cannot be empty"):
        await act(service, made.id, "edit", ana, body="   ")
    with pytest.raises(review.ReviewRefused, match="under 2000"):
        await act(service, made.id, "edit", ana, body="x" * 2001)


async def test_a_routine_notice_goes_on_one_approval_and_is_withdrawn_before_it_leaves(service: Any) -> None:
    sid = await her(service)
    made = await drafted(service, sid, "session_missed", sessions_missed=3)
    assert made is not None and not made.urgent
    assert "missed 3 group session(s) in a row, the latest on 9 March 2026" in made.body
    ana = await worker(service, "ana", ["liaison"])
    assert await act(service, made.id, "approve", ana) == "queued"
    (preview,) = await previews(service)
    assert preview.status == "pending" and not preview.sensitive and not preview.urgent
    await act(service, made.id, "withdraw", ana)
    (preview,) = await previews(service)
    assert (preview.status, preview.body) == ("cancelled", None)
    with pytest.raises(review.ReviewRefused, match="withdrawn"):
        await act(service, made.id, "approve", ana)


async def test_the_draft_is_made_once_per_event_in_her_language_and_audited(service: Any) -> None:
    sid = await her(service, locale="de", country="DE")
    event_id = await programme_event(service, sid, "excluded", reason_class="violence_threat")
    made = []
    for _ in range(2):  # the intake replays the event
        async with service.db.transaction() as s:
            event, survivor = await s.get(ProgrammeEvent, event_id), await s.get(Survivor, sid)
            assert event is not None and survivor is not None
            made.append(await draft_for_event(s, event, survivor, now=service.clock()))
    assert made[0] is not None and made[1] is not None and made[0].id == made[1].id
    assert "wegen Gewalt oder Drohungen aus dem Programm ausgeschlossen" in made[0].body
    assert "116 016" in made[0].body  # the emergency numbers of her country, for an urgent kind
    assert await timeline(service, made[0].id) == ["drafted"]
    async with service.db.sessions() as s:
        actions = (await s.scalars(select(AuditEvent.action).where(AuditEvent.action.like("notice.%")))).all()
        assert list(actions) == ["notice.drafted"]
        assert len((await s.scalars(select(Notice))).all()) == 1


async def test_no_draft_for_a_woman_being_erased_or_for_a_kind_notices_do_not_know(service: Any) -> None:
    sid = await her(service)
    leaving, _ = await enrolled(service.db, service.keyring, channel="sms", address="+447700900489",
                                pseudonym="ps-leaving")
    async with service.db.transaction() as s:
        await s.execute(update(Survivor).where(Survivor.id == leaving).values(status="erasing"))
    assert await drafted(service, leaving, "dropped_out") is None  # she asked to be deleted: nobody to tell
    assert await drafted(service, sid, "moon_landing") is None
    async with service.db.sessions() as s:
        assert (await s.scalars(select(Notice))).all() == []


@pytest.fixture
async def north_auto_approves(settings_env: dict[str, object], keyring: Any, clock: Any) -> AsyncIterator[Any]:
    """The service of a programme whose site "north" chose auto-approval of routine notices."""
    from bot.settings import load_settings
    from liaison.service import create_service

    svc = create_service(load_settings(**settings_env, LIAISON_NOTICE_AUTO_APPROVE_SITES="north"),
                         keyring=keyring, clock=clock)
    yield svc
    await svc.stop()


async def test_a_site_may_choose_auto_approval_for_routine_notices_never_for_urgent_ones(
        north_auto_approves: Any) -> None:
    service = north_auto_approves
    sid = await her(service)
    routine = await drafted(service, sid, "completed", site="north")
    urgent = await drafted(service, sid, "risk_raised", site="north")
    elsewhere = await drafted(service, sid, "completed", site="south")
    assert routine is not None and urgent is not None and elsewhere is not None
    assert (await notice(service, routine.id)).status == "queued"
    assert await timeline(service, routine.id) == ["drafted", "approved", "queued"]
    assert (await notice(service, urgent.id)).status == "draft"
    assert (await notice(service, elsewhere.id)).status == "draft"


def test_auto_approval_is_off_unless_a_site_is_named(settings_env: dict[str, object]) -> None:
    from bot.settings import load_settings

    assert load_settings(**settings_env).notice_auto_approve_sites == []
    assert NoticePolicy().auto_approves("north", urgent=False) is False
    named = load_settings(**settings_env, LIAISON_NOTICE_AUTO_APPROVE_SITES="north, east")
    assert named.notice_auto_approve_sites == ["north", "east"] and named.notice_ack_hours == 48
