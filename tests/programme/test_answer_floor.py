"""The programme's side learns nothing from how long an answer takes: each answer to it (its API, its
staff's console pages) leaves no sooner than PROGRAMME_ANSWER_FLOOR_SECONDS after the request arrived,
whether or not the case is linked to her and whatever the answer. Liaison workers' pages and the
health check are never held. An answer later than the floor is logged for the operator.

Elapsed times are read only as lower bounds (a sleep lasts at least its time on any machine) or
against a floor far beyond any answer's own time."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp

from bot.clock import ManualClock
from bot.programme.tokens import create_token
from bot.service import Service
from tests.programme.support import SITE, body, day, her, person, stored_events
from tests.support.clock import TEST_NOW
from tests.support.console import console_service
from tests.support.http import serve_app

FLOOR = 0.25
FAR_FLOOR = 10.0  # the most a floor may be; no page of a test takes this long unless held to it


@asynccontextmanager
async def served(settings_env: dict[str, object], keyring: Any, floor: float) -> AsyncIterator[tuple[Service, str]]:
    svc = console_service({**settings_env, "PROGRAMME_ANSWER_FLOOR_SECONDS": floor}, keyring, ManualClock(TEST_NOW))
    try:
        async with serve_app(svc.web_app()) as base:
            yield svc, base
    finally:
        await svc.stop()


async def timed(call: Awaitable[Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = await call
    return result, time.perf_counter() - started


async def post_event(base: str, token: str | None, payload: dict[str, Any]) -> int:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    async with aiohttp.ClientSession() as http, http.post(base + "/api/programme-events",
                                                          data=json.dumps(payload).encode(), headers=headers) as r:
        await r.read()
        return r.status


async def test_every_api_answer_leaves_at_the_floor_linked_unlinked_or_refused(settings_env, keyring) -> None:
    async with served(settings_env, keyring, FLOOR) as (svc, base):
        await her(svc.db, keyring, "ps-amber", case_ref="LINKED-1")
        async with svc.db.transaction() as s:
            _row, token = await create_token(s, SITE, actor="worker:test", now=svc.clock())
        answers = [await timed(post_event(base, token, body(event_id="a", case_ref="LINKED-1"))),
                   await timed(post_event(base, token, body(event_id="b", case_ref="NOBODY-2"))),
                   await timed(post_event(base, "plt_not-a-token", body(event_id="c"))),
                   await timed(post_event(base, token, {"kind": "no-such-kind"}))]
        assert [status for status, _t in answers] == [201, 201, 401, 422]
        assert all(took >= FLOOR for _s, took in answers), answers
        await svc.settler.settled()
        assert [e.status for e in await stored_events(svc.db)] == ["matched", "unmatched"]


async def test_a_programme_staff_members_pages_and_form_leave_at_the_floor(settings_env, keyring) -> None:
    async with served(settings_env, keyring, FLOOR) as (svc, base):
        pat = await person(svc, base, "pat", ["programme"], site=SITE)
        try:
            (status, *_rest), took_page = await timed(pat.get("/console/programme"))
            assert status == 200 and took_page >= FLOOR
            form = {"event_id": "f-1", "case_ref": "DV-2026-117", "kind": "completed", "reason_class": "",
                    "occurred_on": day(-1).isoformat(), "sessions_missed": "", "expected_end": "", "detail": ""}
            (status, *_rest), took_form = await timed(pat.post("/console/programme/events", form))
            assert status == 303 and took_form >= FLOOR
            (status, *_rest), took_forbidden = await timed(pat.get("/console/queue"))
            assert status == 403 and took_forbidden >= FLOOR  # a page it may not see is no quicker probe
        finally:
            await pat.close()


async def test_a_liaison_workers_pages_and_the_health_check_are_never_held(settings_env, keyring) -> None:
    async with served(settings_env, keyring, FAR_FLOOR) as (svc, base):
        lee = await person(svc, base, "lee", ["liaison"])
        try:
            (status, *_rest), took_queue = await timed(lee.get("/console/queue"))
            assert status == 200 and took_queue < FAR_FLOOR
        finally:
            await lee.close()
        async with aiohttp.ClientSession() as http:
            started = time.perf_counter()
            async with http.get(base + "/healthz") as r:
                assert r.status == 200
            assert time.perf_counter() - started < FAR_FLOOR


async def test_an_answer_later_than_the_floor_is_logged_for_the_operator(settings_env, keyring, caplog) -> None:
    caplog.set_level(logging.INFO)
    async with served(settings_env, keyring, 1e-6) as (_svc, base):  # no answer is ready within a microsecond
        assert await post_event(base, None, body()) == 401
    assert any("programme.answer_late" in r.getMessage() for r in caplog.records)
