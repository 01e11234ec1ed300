"""A generated fuzz run over every console route and the programme API, for every role and signed out,
on SQLite and on PostgreSQL: hostile ids and text in paths, queries and forms (NUL bytes, numbers over
any integer range, long and odd Unicode text) never get a 5xx. Each route x role is first sent one
hostile request of each kind, then Hypothesis generates more (FUZZ_EXAMPLES, 150 by default: bounded
for CI; `make fuzz` runs 3000 per database). The request and 5xx counts are printed per database.

The service runs in a thread of its own (its own event loop); Hypothesis drives it from the test's.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
from collections import Counter
from concurrent.futures import Future
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete
from yarl import URL

from bot.clock import ManualClock
from bot.programme.tokens import create_token
from bot.storage.models import SignInThrottle
from console.pages import CSRF_COOKIE
from console.permissions import PUBLIC, ROUTES
from console.staff.accounts import ROLES
from tests.support.console import ConsoleClient, StaffLogin, console_service, make_staff
from tests.support.http import serve_app

NOW = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))
HOSTILE = ["\x00", "%00", "99999999999999999999", "-1", "0", "2147483648", "1e9", "'; DROP TABLE staff_members;--",
           "<script>alert(1)</script>", "../../etc/passwd", "x" * 5000, "\u202e\u0663\u0664", "%", "_", "\\", " "]
SWEEP = ["\x00", "99999999999999999999", "x" * 5000]
QUERY_KEYS = ["action", "actor", "survivor", "flash", "kind", "page", "id"]
FORM_KEYS = ["name", "password", "code", "note", "outcome", "to", "reason", "body", "pseudonym", "site", "case_ref",
             "staff_id", "starts_at", "ends_at", "number", "role", "secret", "event_id", "kind", "reason_class",
             "occurred_on", "sessions_missed", "expected_end", "detail"]
WHO = ["signed out", *ROLES]
TARGETS = sorted(ROUTES) + [("POST", "/api/programme-events")]
STREAMS = {("GET", "/console/queue/events"), ("GET", "/console/escalations/{id}/events")}  # streams: the status counts

text = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=40), st.integers(-2**70, 2**70).map(str))


class Harness:
    """The service on its own event loop in a thread, a signed-in client per role, and the counts."""

    def __init__(self, env: dict[str, Any], keyring: Any) -> None:
        self.env, self.keyring = env, keyring
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.counts: Counter[str] = Counter()
        self.failures: list[str] = []

    def run(self, coro: Any) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout=120)

    def start(self) -> None:
        self.thread.start()
        self.run(self._start())

    async def _start(self) -> None:
        self.clock = ManualClock(NOW)
        self.svc = console_service(self.env, self.keyring, self.clock)
        self._serving = serve_app(self.svc.web_app())
        self.base = await self._serving.__aenter__()
        self.logins: dict[str, StaffLogin] = {}
        self.clients: dict[str, ConsoleClient] = {"signed out": ConsoleClient(self.base)}
        for role in ROLES:
            self.logins[role] = await make_staff(self.svc, f"fuzz-{role}", [role])
            self.clients[role] = ConsoleClient(self.base)
        for role in ROLES:
            await self._sign_in(role)
        async with self.svc.db.transaction() as s:
            _row, self.api_token = await create_token(s, "north-leeds", actor="fuzz", now=self.clock())

    async def _sign_in(self, role: str) -> None:
        """Again after a sign-out or an expiry (a TOTP code is good once: the clock moves a step on)."""
        self.clock.advance(seconds=31)
        async with self.svc.db.transaction() as s:  # the fuzz's own failed sign-ins slowed this address
            await s.execute(delete(SignInThrottle))
        assert await self.clients[role].sign_in(self.logins[role], self.clock()) == 303

    def stop(self) -> None:
        self.run(self._stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=30)

    async def _stop(self) -> None:
        for client in self.clients.values():
            await client.close()
        await self._serving.__aexit__(None, None, None)
        await self.svc.stop()

    def send(self, method: str, path: str, who: str, params: dict[str, str], query: dict[str, str],
             form: dict[str, str], csrf_ok: bool) -> int:
        return int(self.run(self._send(method, path, who, params, query, form, csrf_ok)))

    async def _raw_post(self, path: str, header: bytes, body: bytes) -> int:
        """A POST written byte for byte on a socket, hostile header and all: the status the server answers."""
        where = URL(self.base)
        reader, writer = await asyncio.open_connection(where.host, where.port)
        try:
            writer.write(f"POST {path} HTTP/1.1\r\nHost: {where.host}:{where.port}\r\nConnection: close\r\n"
                         f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n".encode()
                         + header + b"\r\n\r\n" + body)
            await writer.drain()
            status_line = await reader.readline()
        finally:
            writer.close()
        version, status, *_reason = status_line.split(b" ", 2)
        assert version.startswith(b"HTTP/1."), status_line
        return int(status)

    async def _send(self, method: str, path: str, who: str, params: dict[str, str], query: dict[str, str],
                    form: dict[str, str], csrf_ok: bool) -> int:
        client = self.clients[who]
        url = path
        for name, value in params.items():
            url = url.replace("{" + name + "}", quote(value, safe="") or "x")
        # a NUL or a long value in the query: aiohttp's client would refuse some, so it is encoded here
        target = URL(self.base + url, encoded=True).with_query(query) if query else URL(self.base + url, encoded=True)
        if method == "GET":
            async with client.http.get(target, allow_redirects=False) as r:
                status = r.status
                if (method, path) not in STREAMS:
                    await r.read()
        else:
            if path.startswith("/api/"):
                bearer = self.api_token if csrf_ok else form.get("code", "plt_x")
                if _sendable_in_a_header(bearer):
                    async with client.http.post(target, json=form, headers={"Authorization": "Bearer " + bearer}) as r:
                        status = r.status
                        await r.read()
                else:  # aiohttp's client refuses control characters in a header; an attacker's does not
                    status = await self._raw_post(url, b"Authorization: Bearer " + bearer.encode(),
                                                  json.dumps(form).encode())
            else:
                token = client.csrf
                if ROUTES.get((method, path)) is PUBLIC:
                    await client.get("/console/sign-in")
                    jar = client.http.cookie_jar.filter_cookies(URL(self.base + "/console/sign-in"))
                    token = jar[CSRF_COOKIE].value if CSRF_COOKIE in jar else ""
                async with client.http.post(target, data={**form, "csrf": token if csrf_ok else "forged"},
                                            allow_redirects=False) as r:
                    status = r.status
                    location = r.headers.get("Location", "")
                    await r.read()
                if who != "signed out" and (path == "/console/sign-out" or location == "/console/sign-in"):
                    await self._sign_in(who)
        self.counts["requests"] += 1
        if status >= 500:
            self.counts["5xx"] += 1
            self.failures.append(f"{method} {url}?{query} as {who}: {status}")
        if who != "signed out" and method == "GET" and status == 302:
            await self._sign_in(who)  # the session idled out while the clock moved on
        return status


def _sendable_in_a_header(value: str) -> bool:
    """What aiohttp's client will put in a header (no control characters but tab)."""
    return all(ch == "\t" or (" " <= ch and ch != "\x7f") for ch in value)


def _params(path: str, value: str) -> dict[str, str]:
    return {name: value for name in ("id", "pseudonym", "token", "name") if "{" + name + "}" in path}


@pytest.fixture
def harness(settings_env, keyring):
    # a floor on the programme's answers (bot/programme/answer_floor.py) short enough not to slow the run
    h = Harness({**settings_env, "PROGRAMME_API_BURST": 100000, "PROGRAMME_API_RATE_PER_MINUTE": 1e6,
                 "PROGRAMME_ANSWER_FLOOR_SECONDS": 0.002}, keyring)
    h.start()
    yield h
    h.stop()
    database = str(settings_env["DATABASE_URL"]).split(":", 1)[0]
    print(f"\nfuzz on {database}: {h.counts['requests']} requests, {h.counts['5xx']} 5xx")


def test_no_route_answers_any_role_with_a_5xx_whatever_it_is_sent(harness: Harness) -> None:
    for method, path in TARGETS:  # every route x role, each of the worst values once
        for who in WHO:
            for value in SWEEP:
                form = dict.fromkeys(FORM_KEYS[:6], value) if method == "POST" else {}
                # the API's token is the form's code when the "CSRF" is not right: the worst values in its header too
                for csrf_ok in (True, False) if path.startswith("/api/") else (True,):
                    harness.send(method, path, who, _params(path, value), {"actor": value} if method == "GET" else {},
                                 form, csrf_ok=csrf_ok)
    assert harness.failures == []

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(target=st.sampled_from(TARGETS), who=st.sampled_from(WHO), value=text,
           query=st.dictionaries(st.sampled_from(QUERY_KEYS), text, max_size=3),
           form=st.dictionaries(st.sampled_from(FORM_KEYS), text, max_size=6), csrf_ok=st.booleans())
    def generated(target: tuple[str, str], who: str, value: str, query: dict[str, str], form: dict[str, str],
                  csrf_ok: bool) -> None:
        method, path = target
        status = harness.send(method, path, who, _params(path, value), query if method == "GET" else {}, form,
                              csrf_ok)
        assert status < 500, harness.failures[-1:]

    generated()
    assert harness.counts["5xx"] == 0, harness.failures[:20]
    assert harness.counts["requests"] >= len(TARGETS) * len(WHO) * len(SWEEP)
