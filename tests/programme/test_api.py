"""POST /api/programme-events with a site's bearer token: 201 for a new event, 200 with the same id
for a replay; JSON errors 401 (no or unknown token), 403 (revoked, another site's), 413 (too large),
422 (naming the field), 429 (too many for this token, with Retry-After). The answer never says
whether his case is linked to anyone."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.programme.tokens import create_token, revoke_token
from bot.service import Service
from bot.storage.models import ProgrammeEvent, ProgrammeToken
from tests.programme.support import SITE, body, day, her, matched_to, milestones, stored_events
from tests.support.clock import TEST_NOW
from tests.support.console import console_service
from tests.support.http import serve_app

URL = "/api/programme-events"


class Api:
    def __init__(self, svc: Service, base: str, http: aiohttp.ClientSession, clock: ManualClock) -> None:
        self.svc, self.base, self.http, self.clock = svc, base, http, clock

    async def token(self, site: str = SITE) -> tuple[int, str]:
        async with self.svc.db.transaction() as s:
            row, token = await create_token(s, site, actor="worker:test", now=self.clock())
            return row.id, token

    async def post(self, payload: Any, token: str | None, *, raw: bytes | None = None,
                   headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any], Any]:
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        if token is not None:
            hdrs["Authorization"] = f"Bearer {token}"
        data = raw if raw is not None else json.dumps(payload).encode()
        async with self.http.post(self.base + URL, data=data, headers=hdrs) as r:
            assert r.content_type == "application/json"
            answer = r.status, await r.json(), r.headers
        await self.svc.settler.settled()  # matched after the answer: wait until that is done
        return answer


@pytest.fixture
async def api(settings_env, keyring) -> AsyncIterator[Api]:
    clock = ManualClock(TEST_NOW)
    svc = console_service({**settings_env, "PROGRAMME_API_BURST": 3, "PROGRAMME_API_RATE_PER_MINUTE": 6},
                          keyring, clock)
    async with serve_app(svc.web_app()) as base, aiohttp.ClientSession() as http:
        yield Api(svc, base, http, clock)
    await svc.stop()


async def test_a_site_posts_an_event_201_and_a_replay_200_with_the_same_id(api: Api, keyring) -> None:
    sid = await her(api.svc.db, keyring, "ps-amber")
    _id, token = await api.token()
    status, answer, _h = await api.post(body(), token)
    assert status == 201
    assert answer == {"id": answer["id"], "event_id": "evt-1", "kind": "excluded", "replay": False}
    status, again, _h = await api.post(body(kind="completed", reason_class=None), token)
    assert (status, again) == (200, {"id": answer["id"], "event_id": "evt-1", "kind": "excluded", "replay": True})
    (row,) = await stored_events(api.svc.db)
    assert (row.kind, row.reason_class, row.status, row.received_via, row.received_by) == (
        "excluded", "violence_threat", "matched", "api", f"site:{SITE}")
    assert await matched_to(api.svc.db) == {row.id: (sid,)}
    async with api.svc.db.sessions() as s:
        assert (await s.scalar(select(ProgrammeToken.last_used_at))) == api.clock()


async def test_the_answer_is_the_same_whether_or_not_his_case_is_linked(api: Api, keyring) -> None:
    await her(api.svc.db, keyring, "ps-amber", case_ref="LINKED-1")
    _id, token = await api.token()
    _s, linked, _h = await api.post(body(event_id="a", case_ref="LINKED-1"), token)
    _s, unlinked, _h = await api.post(body(event_id="b", case_ref="NOBODY-2"), token)
    assert set(linked) == set(unlinked) == {"id", "event_id", "kind", "replay"}
    assert [e.status for e in await stored_events(api.svc.db)] == ["matched", "unmatched"]


async def raw_answer(response: aiohttp.ClientResponse) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Status, every header as sent (but Date, the wall clock's second) and the body's bytes."""
    return response.status, [h for h in response.raw_headers if h[0].lower() != b"date"], await response.read()


async def test_the_answer_is_byte_for_byte_the_same_whether_or_not_his_case_is_linked(api: Api, keyring) -> None:
    # the same event for the same case reference from two sites: at one her case is linked, at the other not
    await her(api.svc.db, keyring, "ps-amber", case_ref="DV-2026-117", site=SITE)
    answers = []
    for site in (SITE, "south-leeds"):
        _id, token = await api.token(site)
        async with api.http.post(api.base + URL, data=json.dumps(body(event_id="e-1")).encode(), headers={
                "Content-Type": "application/json", "Authorization": f"Bearer {token}"}) as r:
            answers.append(await raw_answer(r))
        await api.svc.settler.settled()
    (linked, unlinked), (first, second) = answers, [e.id for e in await stored_events(api.svc.db)]
    assert [e.status for e in await stored_events(api.svc.db)] == ["matched", "unmatched"]
    assert second == first + 1 and len(str(first)) == len(str(second))
    # the one difference: the stored row's own id, which counts every event of every site
    assert linked[:2] == unlinked[:2] and linked[0] == 201
    assert linked[2] == unlinked[2].replace(f'"id": {second},'.encode(), f'"id": {first},'.encode())


async def test_no_token_or_an_unknown_one_is_401_with_a_json_reason(api: Api) -> None:
    status, answer, headers = await api.post(body(), None)
    assert status == 401 and answer["error"] == "unauthorized" and "Bearer" in answer["message"]
    assert headers["WWW-Authenticate"].startswith("Bearer")
    for wrong in ("plt_not-a-real-token", "secret", ""):
        status, answer, _h = await api.post(body(), wrong)
        assert status == 401 and answer["error"] == "unauthorized"
    assert await stored_events(api.svc.db) == []


async def test_a_revoked_token_or_another_sites_is_403(api: Api) -> None:
    token_id, token = await api.token()
    status, answer, _h = await api.post(body(site="south"), token)
    assert (status, answer["error"]) == (403, "wrong_site")
    status, _a, _h = await api.post(body(site=SITE), token)
    assert status == 201
    async with api.svc.db.transaction() as s:
        await revoke_token(s, token_id, actor="worker:test", now=api.clock())
    status, answer, _h = await api.post(body(event_id="evt-2"), token)
    assert (status, answer["error"]) == (403, "revoked") and "new one" in answer["message"]
    assert len(await stored_events(api.svc.db)) == 1


async def test_a_body_over_the_limit_is_413_read_no_further(api: Api) -> None:
    _id, token = await api.token()
    status, answer, _h = await api.post(body(detail="x" * 20_000), token)
    assert (status, answer["error"]) == (413, "too_large") and "16384 bytes" in answer["message"]

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the limit still holds
        for _ in range(40):
            yield b" " * 1024

    async with api.http.post(api.base + URL, data=chunks(), headers={"Authorization": f"Bearer {token}"}) as r:
        assert r.status == 413 and (await r.json())["error"] == "too_large"
    assert await stored_events(api.svc.db) == []


@pytest.mark.parametrize(("payload", "raw", "errors"), [
    (None, b"{not json", [{"field": "body", "message": "is not JSON (UTF-8)"}]),
    (None, b"\xff\xfe", [{"field": "body", "message": "is not JSON (UTF-8)"}]),
    ([body()], None, [{"field": "body", "message": "must be one JSON object: one event"}]),
    (body(occurred_on=None), None, [{"field": "occurred_on", "message": "is required"}]),
    (body(reason_class="violent"), None,
     [{"field": "reason_class", "message": "'violent' is not one of violence_threat, non_attendance, other"}]),
    (body(ocurred_on="2026-03-01", occurred_on=None), None,
     [{"field": "ocurred_on", "message": "is not a field of a programme event"},
      {"field": "occurred_on", "message": "is required"}]),
    (body(kind="session_missed", reason_class=None, sessions_missed="three"), None,
     [{"field": "sessions_missed", "message": "must be a whole number"}]),
])
async def test_a_malformed_event_is_422_naming_each_field(api: Api, payload: Any, raw: bytes | None,
                                                          errors: list[dict[str, str]]) -> None:
    _id, token = await api.token()
    status, answer, _h = await api.post(payload, token, raw=raw)
    assert status == 422
    assert answer == {"error": "invalid", "message": "the event was not accepted; see errors", "errors": errors}
    assert await stored_events(api.svc.db) == []


async def test_too_many_requests_for_one_token_is_429_with_retry_after_and_others_are_not_held_up(api: Api) -> None:
    _a, first = await api.token()
    _b, second = await api.token("south")
    statuses = [(await api.post(body(event_id=f"e{i}"), first))[0] for i in range(3)]
    assert statuses == [201, 201, 201]  # the burst
    status, answer, headers = await api.post(body(event_id="e3"), first)
    assert (status, answer["error"]) == (429, "rate_limited") and headers["Retry-After"] == "10"  # 6 a minute
    assert (await api.post(body(event_id="e0"), second))[0] == 201  # another site's token has its own allowance
    api.clock.advance(timedelta(seconds=10))
    assert (await api.post(body(event_id="e3"), first))[0] == 201
    async with api.svc.db.sessions() as s:
        assert len((await s.scalars(select(ProgrammeEvent.id))).all()) == 5


async def test_started_moves_her_programme_dates_through_the_api(api: Api, keyring) -> None:
    sid = await her(api.svc.db, keyring, "ps-amber", programme=None)
    _id, token = await api.token()
    status, _a, _h = await api.post(body(kind="started", reason_class=None, occurred_on=day(-7).isoformat(),
                                         expected_end=day(170).isoformat()), token)
    assert status == 201
    m = await milestones(api.svc.db, sid)
    assert m is not None and (m.programme_start, m.expected_end) == (day(-7), day(170))


async def test_the_answer_is_made_before_her_case_is_looked_at_then_the_event_reaches_her(api: Api, keyring,
                                                                                        monkeypatch) -> None:
    """Answer first, match after: when the site has its answer nothing of hers has been touched (so how
    long it took cannot depend on her); then the event is matched, her notice drafted, exactly once."""
    from bot.storage.models import Notice, ProgrammeEvent

    sid = await her(api.svc.db, keyring, "ps-amber")
    _id, token = await api.token()
    handed: list[tuple[int, str]] = []
    real_submit = api.svc.settler.submit
    monkeypatch.setattr(api.svc.settler, "submit", lambda event_id, actor: handed.append((event_id, actor)))
    status, answer, _h = await api.post(body(), token)
    assert status == 201 and handed == [(answer["id"], f"site:{SITE}")]
    async with api.svc.db.sessions() as s:
        event = await s.get(ProgrammeEvent, answer["id"])
        assert event is not None and event.settled_at is None and event.status == "unmatched"
        assert (await s.scalars(select(Notice.id))).all() == []
    assert await matched_to(api.svc.db) == {answer["id"]: ()}
    real_submit(*handed[0])
    real_submit(*handed[0])  # handed over twice (a retry, a restart's recovery): matched once
    await api.svc.settler.settled()
    assert await matched_to(api.svc.db) == {answer["id"]: (sid,)}
    async with api.svc.db.sessions() as s:
        assert len((await s.scalars(select(Notice.id).where(Notice.survivor_id == sid))).all()) == 1


async def test_an_event_stored_but_not_matched_when_the_service_stopped_is_matched_at_the_next_start(
        api: Api, keyring, monkeypatch) -> None:
    sid = await her(api.svc.db, keyring, "ps-amber")
    _id, token = await api.token()
    monkeypatch.setattr(api.svc.settler, "submit", lambda event_id, actor: None)  # the process stops here
    status, answer, _h = await api.post(body(), token)
    assert status == 201 and await matched_to(api.svc.db) == {answer["id"]: ()}
    monkeypatch.undo()
    await api.svc.settler.recover()
    await api.svc.settler.settled()
    assert await matched_to(api.svc.db) == {answer["id"]: (sid,)}
