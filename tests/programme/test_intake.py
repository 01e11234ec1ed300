"""The one intake: an event is stored once per (site, sender's id), his case reference only as
ciphertext and a blind index; an event for a linked case is matched to her and moves her programme
milestones (her waves replan), any other is held until a worker links it; every step is audited;
the event that is matched drafts its notice once."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from bot.programme.case_index import case_index
from bot.programme.intake import receive
from bot.programme.linking import CaseLinkError, link_case, link_event, set_aside
from bot.storage.models import Notice, ProgrammeCase, ProgrammeEvent, Survivor
from scheduler.jobs import replan_waves
from tests.programme.support import SITE, audit_actions, day, event, her, matched_to, milestones, stored_events
from tests.scheduler.support import waves_of
from tests.support.db_scan import raw_dump


async def test_an_event_for_her_linked_case_is_matched_and_moves_her_milestones_and_waves(db, keyring) -> None:
    sid = await her(db, keyring, "ps-amber")
    await replan_waves(db, keyring, [sid])  # what the scheduler's tick does
    assert (await waves_of(db, sid))["T1"].state == "planned"
    got = await receive(db, keyring, event("evt-1", "dropped_out", occurred_on=day(-2)), site=SITE, via="api",
                        by=f"site:{SITE}", replan=lambda ids: replan_waves(db, keyring, ids))
    assert not got.replay and got.matched and got.survivor_ids == (sid,)
    (row,) = await stored_events(db)
    assert await matched_to(db) == {row.id: (sid,)}
    assert (row.status, row.kind, row.occurred_on, row.received_via) == (
        "matched", "dropped_out", day(-2), "api")
    assert row.matched_at == db.clock() and row.case_index == case_index(keyring, SITE, "DV-2026-117")
    m = await milestones(db, sid)
    assert m is not None and (m.actual_end, m.outcome, m.updated_by) == (day(-2), "dropped_out", f"site:{SITE}")
    waves = await waves_of(db, sid)  # replanned at once: no mid-point after a drop-out, the end wave moves
    assert waves["T1"].state == "cancelled"
    assert waves["T2"].state == "planned" and waves["T2"].due_at.date() >= day(-2)
    assert await audit_actions(db) == ["programme.case_linked", "programme.event_received",
                                       "programme.event_matched", "programme.set", "notice.drafted"]


async def test_his_case_reference_is_stored_only_as_ciphertext_and_a_blind_index(db, keyring) -> None:
    await receive(db, keyring, event("evt-1", case_ref="DV-2026-117", detail="Said he knows where she lives."),
                  site=SITE, via="csv", by="worker:kim")
    dump = await raw_dump(db)
    assert "DV-2026-117" not in dump and "knows where she lives" not in dump
    (row,) = await stored_events(db)
    assert row.case_ref == "DV-2026-117" and row.status == "unmatched" and await matched_to(db) == {row.id: ()}


async def test_a_replay_returns_the_first_row_is_counted_once_and_changes_nothing(db, keyring) -> None:
    sid = await her(db, keyring, "ps-amber")
    first = await receive(db, keyring, event("evt-7", "completed", occurred_on=day(-3)), site=SITE, via="api",
                          by="site:x")
    again = await receive(db, keyring, event("evt-7", "excluded", occurred_on=day(-1), reason_class="other"),
                          site=SITE, via="form", by="staff:1")
    assert (again.id, again.replay, again.kind, again.matched) == (first.id, True, "completed", True)
    (row,) = await stored_events(db)
    assert (row.kind, row.occurred_on, row.received_via) == ("completed", day(-3), "api")
    m = await milestones(db, sid)
    assert m is not None and (m.actual_end, m.outcome) == (day(-3), "completed")
    assert (await audit_actions(db)).count("programme.event_received") == 1
    # the same id from another site is another event
    other = await receive(db, keyring, event("evt-7", "completed"), site="south", via="api", by="site:south")
    assert not other.replay and other.id != first.id


async def test_an_event_for_an_unknown_case_is_held_until_her_case_is_linked_on_her_page(db, keyring) -> None:
    sid = await her(db, keyring, "ps-amber", case_ref=None)
    held = await receive(db, keyring, event("evt-1", "started", occurred_on=day(-10), expected_end=day(150)),
                         site=SITE, via="api", by="site:x")
    assert not held.matched and held.survivor_ids == ()
    async with db.transaction() as s:
        survivor = await s.get(Survivor, sid)
        assert survivor is not None
        linked = await link_case(s, keyring, survivor, site=SITE, case_ref=" dv-2026-117 ", actor="staff:1",
                                 now=db.clock())
    assert linked.matched == (held.id,) and not linked.changed  # typed in another case: the same reference
    (row,) = await stored_events(db)
    assert row.status == "matched" and await matched_to(db) == {row.id: (sid,)}
    m = await milestones(db, sid)
    assert m is not None and (m.programme_start, m.expected_end) == (day(-10), day(150))


async def test_a_worker_links_a_held_event_to_her_by_pseudonym_and_every_event_of_that_case_follows(db,
                                                                                                 keyring) -> None:
    sid = await her(db, keyring, "ps-amber", case_ref=None)
    a = await receive(db, keyring, event("evt-1", "risk_raised", case_ref="K-9"), site=SITE, via="api", by="s")
    b = await receive(db, keyring, event("evt-2", "new_incident", case_ref="K-9"), site=SITE, via="api", by="s")
    c = await receive(db, keyring, event("evt-3", "risk_raised", case_ref="K-10"), site=SITE, via="api", by="s")
    async with db.transaction() as s:
        linked = await link_event(s, keyring, a.id, "ps-amber", actor="staff:2", now=db.clock())
    assert sorted(linked.matched) == sorted([a.id, b.id])
    assert {e.id: e.status for e in await stored_events(db)} == {a.id: "matched", b.id: "matched", c.id: "unmatched"}
    assert await matched_to(db) == {a.id: (sid,), b.id: (sid,), c.id: ()}
    # she is linked to K-9 now: another case's event is not silently re-pointed at her
    async with db.transaction() as s:
        with pytest.raises(CaseLinkError, match="linked to another case"):
            await link_event(s, keyring, c.id, "ps-amber", actor="staff:2", now=db.clock())
        with pytest.raises(CaseLinkError, match="not waiting to be linked"):
            await link_event(s, keyring, a.id, "ps-amber", actor="staff:2", now=db.clock())
        with pytest.raises(CaseLinkError, match="no survivor with pseudonym 'ps-nobody'"):
            await link_event(s, keyring, c.id, "ps-nobody", actor="staff:2", now=db.clock())
    async with db.transaction() as s:
        await set_aside(s, c.id, actor="staff:2", now=db.clock())
    assert {e.id: e.status for e in await stored_events(db)}[c.id] == "ignored"
    assert "programme.event_ignored" in await audit_actions(db)


async def test_his_partner_and_his_ex_partner_are_each_told_of_his_events_by_her_own_notice(db, keyring) -> None:
    partner = await her(db, keyring, "ps-amber", case_ref="DV-1")
    started = await receive(db, keyring, event("evt-1", "started", case_ref="DV-1", occurred_on=day(-20),
                                               expected_end=day(160)), site=SITE, via="api", by="s")
    ex = await her(db, keyring, "ps-birch", case_ref=" dv-1 ")  # linked later: his earlier events reach her too
    excluded = await receive(db, keyring, event("evt-2", "excluded", case_ref="DV-1", reason_class="violence_threat"),
                             site=SITE, via="api", by="s")
    assert started.survivor_ids == (partner,) and excluded.survivor_ids == (partner, ex)
    assert await matched_to(db) == {started.id: (partner, ex), excluded.id: (partner, ex)}
    async with db.sessions() as s:
        notices = sorted((n.survivor_id, n.event_id) for n in (await s.scalars(select(Notice))).all())
        assert await s.scalar(select(func.count(ProgrammeCase.id))) == 2
    assert notices == sorted([(partner, started.id), (partner, excluded.id), (ex, started.id), (ex, excluded.id)])
    for sid in (partner, ex):  # each one's own milestones, each one's own waves
        m = await milestones(db, sid)
        assert m is not None and (m.programme_start, m.outcome) == (day(-20), "excluded")
    async with db.transaction() as s:  # re-linking her to the same case matches nothing twice
        survivor = await s.get(Survivor, ex)
        assert survivor is not None
        again = await link_case(s, keyring, survivor, site=SITE, case_ref="DV-1", actor="staff:1", now=db.clock())
    assert again.matched == () and (await matched_to(db))[excluded.id] == (partner, ex)


async def test_each_newly_matched_event_drafts_one_notice_and_a_replay_none(db, keyring) -> None:
    async def drafted() -> list[tuple[str, str]]:
        async with db.sessions() as s:
            rows = await s.execute(select(ProgrammeEvent.source_event_id, Notice.status)
                                   .join(Notice, Notice.event_id == ProgrammeEvent.id).order_by(Notice.id))
            return [tuple(r) for r in rows.all()]

    await her(db, keyring, "ps-amber")
    await receive(db, keyring, event("evt-1", "risk_raised"), site=SITE, via="api", by="s")
    await receive(db, keyring, event("evt-1", "risk_raised"), site=SITE, via="api", by="s")  # a replay
    held = await receive(db, keyring, event("evt-2", "new_incident", case_ref="K-2"), site=SITE, via="api", by="s")
    assert await drafted() == [("evt-1", "draft")]  # the held event waits for a worker to link it
    await her(db, keyring, "ps-birch", case_ref=None)
    async with db.transaction() as s:
        await link_event(s, keyring, held.id, "ps-birch", actor="staff:1", now=db.clock())
    assert await drafted() == [("evt-1", "draft"), ("evt-2", "draft")]


async def test_a_late_event_never_moves_a_milestone_back(db, keyring) -> None:
    sid = await her(db, keyring, "ps-amber")
    await receive(db, keyring, event("evt-2", "completed", occurred_on=day(-5)), site=SITE, via="api", by="s")
    await receive(db, keyring, event("evt-1", "dropped_out", occurred_on=day(-30)), site=SITE, via="api", by="s")
    await receive(db, keyring, event("evt-0", "started", occurred_on=day(-90)), site=SITE, via="api", by="s")
    m = await milestones(db, sid)
    assert m is not None and (m.programme_start, m.actual_end, m.outcome) == (day(-60), day(-5), "completed")
    assert [e.status for e in await stored_events(db)] == ["matched"] * 3  # facts all the same


async def test_an_event_whose_milestones_do_not_fit_is_kept_and_the_reason_audited(db, keyring) -> None:
    sid = await her(db, keyring, "ps-amber", programme=None)  # no programme start known
    got = await receive(db, keyring, event("evt-1", "excluded", reason_class="violence_threat"), site=SITE,
                        via="api", by="s")
    assert got.matched and got.milestone_problems == ("actual_end needs programme_start",)
    m = await milestones(db, sid)
    assert m is None or m.actual_end is None
    assert "programme.milestones_not_moved" in await audit_actions(db)


async def test_the_same_event_sent_five_times_at_once_is_stored_once(db, keyring) -> None:
    await her(db, keyring, "ps-amber")
    got = await asyncio.gather(*(receive(db, keyring, event("evt-9", "risk_raised"), site=SITE, via="api", by="s")
                                 for _ in range(5)))
    assert sorted(g.replay for g in got) == [False, True, True, True, True]
    assert len({g.id for g in got}) == 1
    assert len(await stored_events(db)) == 1
    assert (await audit_actions(db)).count("programme.event_matched") == 1
