"""The programme's words and a finished notice's text are content about her: the retention job
empties them after the message period, as it does her messages. What a worker still needs stays:
an unmatched event's words (to link it), a notice she has not answered (she may still open it)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.actions.retention import run_retention
from bot.programme.intake import receive
from bot.storage.models import Notice, NoticeStep
from safety.retention import RetentionPolicy
from tests.programme.support import SITE, event, her, stored_events

POLICY = RetentionPolicy(message_days=30, closed_case_days=365)


async def _notices(db) -> dict[str, Notice]:
    async with db.sessions() as s:
        return {n.kind: n for n in (await s.scalars(select(Notice))).all()}


async def test_old_programme_words_and_finished_notice_texts_are_emptied_and_a_dry_run_only_counts(
        db, keyring, manual_clock) -> None:
    await her(db, keyring, "ps-amber")
    await receive(db, keyring, event("evt-1", "completed", detail="Finished all 26 sessions."), site=SITE,
                  via="api", by=f"site:{SITE}")
    await receive(db, keyring, event("evt-2", "dropped_out", detail="Stopped coming after week 3."), site=SITE,
                  via="api", by=f"site:{SITE}")
    await receive(db, keyring, event("evt-3", "dropped_out", case_ref="DV-UNKNOWN", detail="Whose case is this?"),
                  site=SITE, via="api", by=f"site:{SITE}")
    async with db.transaction() as s:
        done = (await s.scalars(select(Notice).where(Notice.kind == "completed"))).one()
        done.status, done.response = "acknowledged", "got_it"
    manual_clock.advance(timedelta(days=31))

    async with db.transaction() as s:
        preview = await run_retention(s, POLICY, manual_clock(), dry_run=True)
    assert (preview.programme_details, preview.notice_texts) == (2, 1)
    assert [e.detail for e in await stored_events(db)][0] == "Finished all 26 sessions."

    async with db.transaction() as s:
        await run_retention(s, POLICY, manual_clock())
    details = {e.source_event_id: e.detail for e in await stored_events(db)}
    assert details == {"evt-1": None, "evt-2": None, "evt-3": "Whose case is this?"}  # unmatched: kept
    notices = await _notices(db)
    assert notices["completed"].body == ""  # answered long ago: its text goes, its timeline stays
    assert notices["dropped_out"].body != ""  # a draft nobody finished: a worker still needs it
    async with db.sessions() as s:
        assert (await s.scalars(select(NoticeStep.step).where(NoticeStep.notice_id == notices["completed"].id))).all()

    async with db.transaction() as s:
        again = await run_retention(s, POLICY, manual_clock())
    assert (again.programme_details, again.notice_texts) == (0, 0)  # nothing left to empty
