"""Programme events in the console, over HTTP (the browser tests walk the same pages in chromium).
The programme role sends events for its own site and sees only what its site sent, never anything
of hers; liaison workers see held events with his case reference, link them to her or set them
aside, and link or change her case reference on her page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.service import Service
from bot.storage.models import ProgrammeCase
from tests.programme.support import SITE, day, her, matched_to, milestones, person, stored_events
from tests.support.clock import TEST_NOW
from tests.support.console import console_service
from tests.support.http import serve_app


@pytest.fixture
async def console(settings_env, keyring) -> AsyncIterator[tuple[Service, str]]:
    svc = console_service(settings_env, keyring, ManualClock(TEST_NOW))
    async with serve_app(svc.web_app()) as base:
        yield svc, base
    await svc.stop()


def form(**fields: Any) -> dict[str, str]:
    base = {"event_id": "f-1", "case_ref": "DV-2026-117", "kind": "excluded", "reason_class": "violence_threat",
            "occurred_on": day(-1).isoformat(), "sessions_missed": "", "expected_end": "", "detail": ""}
    base.update(fields)
    return base


async def test_the_programme_role_sends_an_event_and_sees_its_sites_list_without_her_data(console, keyring) -> None:
    svc, base = console
    sid = await her(svc.db, keyring, "ps-amber")
    pat = await person(svc, base, "pat", ["programme"], site=SITE)
    try:
        status, page, _l = await pat.get("/console/programme")
        assert status == 200 and "Send an event" in page and 'value="form-' in page  # a fresh id per form
        status, _b, location = await pat.post("/console/programme/events", form())
        assert status == 303 and "Received" in (pat.flash or "")
        (row,) = await stored_events(svc.db)
        assert (row.status, row.received_via, row.received_by) == ("matched", "form", row.received_by)
        assert await matched_to(svc.db) == {row.id: (sid,)}
        assert row.received_by.startswith("staff:")
        m = await milestones(svc.db, sid)
        assert m is not None and (m.actual_end, m.outcome) == (day(-1), "excluded")
        # sent twice (a reload, a double click): once
        status, _b, location = await pat.post("/console/programme/events", form())
        assert status == 303 and "received already" in (pat.flash or "")
        assert len(await stored_events(svc.db)) == 1
        _s, page, _l = await pat.get("/console/programme")
        assert "f-1" in page and "Excluded from the programme" in page and "Violence or threats" in page
        for hers in ("ps-amber", "DV-2026-117", "matched", "unmatched", "linked"):
            assert hers not in page, hers
    finally:
        await pat.close()


async def test_the_forms_answer_is_byte_for_byte_the_same_whether_or_not_his_case_is_linked(console, keyring
                                                                                            ) -> None:
    svc, base = console
    await her(svc.db, keyring, "ps-amber", case_ref="DV-2026-117", site=SITE)
    # the same event for the same case reference from two sites: at one her case is linked, at the other not
    answers = []
    for name, site in (("pat", SITE), ("sam", "south-leeds")):
        sender = await person(svc, base, name, ["programme"], site=site)
        try:
            async with sender.http.post(base + "/console/programme/events", data={"csrf": sender.csrf, **form()},
                                        allow_redirects=False) as r:
                answers.append((r.status, [h for h in r.raw_headers if h[0].lower() != b"date"], await r.read()))
        finally:
            await sender.close()
        await svc.settler.settled()
    assert [e.status for e in await stored_events(svc.db)] == ["matched", "unmatched"]
    linked, unlinked = answers
    assert linked[0] == 303 and linked == unlinked  # Date aside (the wall clock's second), every byte


async def test_a_bad_form_is_shown_again_with_each_field_named_and_nothing_stored(console) -> None:
    svc, base = console
    pat = await person(svc, base, "pat", ["programme"], site=SITE)
    try:
        status, page, _l = await pat.post("/console/programme/events", form(reason_class="", case_ref="",
                                                                            occurred_on="2099-01-01"))
        assert status == 422
        assert "case_ref: is required" in page and "reason_class: is required for excluded" in page
        assert "occurred_on: 2099-01-01 is in the future" in page
        assert 'value="2099-01-01"' in page  # what she typed is kept
        assert await stored_events(svc.db) == []
    finally:
        await pat.close()


async def test_a_programme_account_without_a_site_cannot_send(console) -> None:
    svc, base = console
    pat = await person(svc, base, "pat", ["programme"])
    try:
        _s, page, _l = await pat.get("/console/programme")
        assert "not attached to a programme site" in page
        status, _p, _l = await pat.post("/console/programme/events", form())
        assert status == 409 and await stored_events(svc.db) == []
    finally:
        await pat.close()


async def test_a_liaison_worker_links_a_held_event_to_her_by_pseudonym(console, keyring) -> None:
    svc, base = console
    sid = await her(svc.db, keyring, "ps-amber", case_ref=None)
    pat = await person(svc, base, "pat", ["programme"], site=SITE)
    ana = await person(svc, base, "ana", ["liaison"])
    try:
        await pat.post("/console/programme/events", form(event_id="f-1", case_ref="K-9"))
        await pat.post("/console/programme/events", form(event_id="f-2", case_ref="K-9", kind="risk_raised",
                                                          reason_class=""))
        await pat.post("/console/programme/events", form(event_id="f-3", case_ref="K-10", kind="completed",
                                                          reason_class=""))
        status, page, _l = await ana.get("/console/unmatched-events")
        assert status == 200 and page.count("K-9") == 2 and "K-10" in page and "urgent" in page
        first = (await stored_events(svc.db))[0].id
        status, _b, location = await ana.post(f"/console/unmatched-events/{first}/link", {"pseudonym": "nobody"})
        assert status == 303 and "no survivor with pseudonym" in (ana.flash or "")
        status, _b, location = await ana.post(f"/console/unmatched-events/{first}/link", {"pseudonym": "ps-amber"})
        assert status == 303 and "Linked to ps-amber: 2 event(s)" in (ana.flash or "")
        events = await stored_events(svc.db)
        assert [(e.source_event_id, e.status) for e in events] == [
            ("f-1", "matched"), ("f-2", "matched"), ("f-3", "unmatched")]
        assert list((await matched_to(svc.db)).values()) == [(sid,), (sid,), ()]
        _s, page, _l = await ana.get("/console/unmatched-events")
        assert "K-9" not in page and "K-10" in page
        third = (await stored_events(svc.db))[2].id
        status, _b, location = await ana.post(f"/console/unmatched-events/{third}/ignore")
        assert status == 303 and "Set aside" in (ana.flash or "")
        _s, page, _l = await ana.get("/console/unmatched-events")
        assert "none: every event is linked" in page
        _s, page, _l = await ana.get("/console/survivors/ps-amber")
        assert "K-9" in page and "Excluded from the programme" in page and "Assessed risk raised" in page
    finally:
        await pat.close()
        await ana.close()


async def test_her_case_reference_is_linked_and_changed_on_her_page(console, keyring) -> None:
    svc, base = console
    await her(svc.db, keyring, "ps-amber", case_ref=None)
    await her(svc.db, keyring, "ps-birch", case_ref="TAKEN-1")
    ana = await person(svc, base, "ana", ["liaison"])
    try:
        _s, page, _l = await ana.get("/console/survivors/ps-amber")
        assert "No case linked" in page and "Link case" in page
        status, _b, location = await ana.post("/console/survivors/ps-amber/case", {"site": SITE, "case_ref": "A-1"})
        assert status == 303 and "Case linked" in (ana.flash or "")
        _s, page, _l = await ana.get("/console/survivors/ps-amber")
        assert "A-1" in page and "Change case" in page
        status, _b, location = await ana.post("/console/survivors/ps-amber/case", {"site": SITE, "case_ref": "A-2"})
        assert "Case changed" in (ana.flash or "")
        status, _b, location = await ana.post("/console/survivors/ps-amber/case",  # his other partner's case
                                              {"site": SITE, "case_ref": "taken-1"})
        assert "Case changed" in (ana.flash or "") and ana.flash_kind != "error"
        _s, page, _l = await ana.get("/console/survivors/ps-amber")
        assert "His case is linked to 1 other woman too" in page
        status, _b, location = await ana.post("/console/survivors/ps-amber/case", {"site": SITE, "case_ref": " "})
        assert ana.flash_kind == "error"
        async with svc.db.sessions() as s:
            refs = sorted(c.case_ref for c in (await s.scalars(select(ProgrammeCase))).all())
        assert refs == ["TAKEN-1", "taken-1"]  # hers and his other partner's: the same case, each her own link
        status, _b, _l = await ana.post("/console/survivors/nobody/case", {"site": SITE, "case_ref": "X"})
        assert status == 404
    finally:
        await ana.close()
