"""His case reference given at invitation (`liaison invite create --case REF --site SITE`) is kept
encrypted on the invitation and linked to her record when she enrols; events that arrived before
her are matched then."""

from __future__ import annotations

import asyncio
from typing import Any

from click.testing import CliRunner
from sqlalchemy import select

from bot.enrolment import enrol
from bot.programme.intake import receive
from bot.storage.db import Database
from bot.storage.models import Invitation, ProgrammeCase
from liaison.cli import cli
from tests.programme.support import SITE, audit_actions, day, event, her, matched_to, stored_events
from tests.support.db_scan import raw_dump


def invite(database_url: str, keyring: Any, *args: str) -> Any:
    return CliRunner().invoke(cli, ["invite", "create", "--channel", "simulator", "--locale", "en", *args],
                              env={"DATABASE_URL": database_url, "LIAISON_KEY_FILE": str(keyring.path),
                                   "LIAISON_ENV": "test", "USER": "worker-7"})


async def _only_invitation(db: Database) -> Invitation:
    async with db.sessions() as s:
        return (await s.scalars(select(Invitation))).one()


async def test_the_case_given_at_invitation_is_linked_when_she_enrols_and_held_events_follow(
        db, keyring, database_url) -> None:
    held = await receive(db, keyring, event("evt-1", "started", occurred_on=day(-5)), site=SITE, via="api", by="s")
    out = await asyncio.to_thread(invite, database_url, keyring, "--case", "DV-2026-117", "--site", SITE)
    assert out.exit_code == 0, out.output
    assert "his case is linked to her record when she enrols" in out.output
    inv = await _only_invitation(db)
    assert (inv.case_site, inv.case_ref) == (SITE, "DV-2026-117")
    assert "DV-2026-117" not in await raw_dump(db)
    async with db.transaction() as s:
        enrolled = await enrol(s, keyring, inv.id, "simulator", "sim-new-person", None, db.clock())
    assert enrolled is not None
    survivor, _identity = enrolled
    async with db.sessions() as s:
        case = (await s.scalars(select(ProgrammeCase))).one()
    assert (case.survivor_id, case.site, case.case_ref, case.linked_by) == (survivor.id, SITE, "DV-2026-117",
                                                                           "worker-7")
    (row,) = await stored_events(db)
    assert (row.id, row.status) == (held.id, "matched") and await matched_to(db) == {held.id: (survivor.id,)}
    assert {"invite.created", "enrol.code_accepted", "programme.case_linked"} <= set(await audit_actions(db))


async def test_an_invitation_refuses_a_case_without_its_site_or_a_site_that_is_not_one(
        db, keyring, database_url) -> None:
    out = await asyncio.to_thread(invite, database_url, keyring, "--case", "DV-1")
    assert out.exit_code != 0 and "give --case and --site together" in out.output
    out = await asyncio.to_thread(invite, database_url, keyring, "--case", "DV-1", "--site", "<b>")
    assert out.exit_code != 0 and "is not a site code" in out.output
    async with db.sessions() as s:
        assert (await s.scalars(select(Invitation))).all() == []


async def test_an_invitation_may_name_a_case_already_linked_to_another_woman(db, keyring, database_url) -> None:
    await her(db, keyring, "ps-amber", case_ref="DV-1")  # his partner; the invitation is for his ex-partner
    out = await asyncio.to_thread(invite, database_url, keyring, "--case", "dv-1", "--site", SITE)
    assert out.exit_code == 0, out.output
    assert (await _only_invitation(db)).case_ref == "dv-1"
