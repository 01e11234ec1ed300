"""Signing in to the console, as a worker would: the one-time enrolment link, password and TOTP
(each code good once), a slow-down after failures per name and per address (never a lock, the same
for a name that does not exist), idle and absolute session expiry on the service clock, cookie flags,
CSRF on every form, and every attempt in the audit log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiohttp
import pyotp
from sqlalchemy import select

from bot.clock import ManualClock
from bot.storage.models import AuditEvent, StaffMember
from console.pages import CSRF_COOKIE
from console.staff import accounts
from tests.support.console import PASSWORD, ConsoleClient, StaffLogin, console_service, csrf_of, make_staff
from tests.support.http import serve_app

NOW = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)


def console(settings_env, keyring, clock, **env):
    svc = console_service({**settings_env, **env}, keyring, clock)
    return svc


async def audit_actions(svc) -> list[str]:
    async with svc.db.sessions() as s:
        return list((await s.scalars(select(AuditEvent.action).order_by(AuditEvent.seq))).all())


async def test_a_new_worker_enrols_from_the_one_time_link_and_signs_in_with_totp(settings_env, keyring) -> None:
    clock = ManualClock(NOW)
    svc = console(settings_env, keyring, clock)
    async with serve_app(svc.web_app()) as base:
        client = ConsoleClient(base)
        try:
            async with svc.db.transaction() as s:
                _m, token = await accounts.add_staff(s, "bea", ["liaison"], clock(), actor="test")
            status, page, _ = await client.get(f"/console/enrol/{token}")
            assert status == 200 and "<svg" in page
            secret = page.split('id="totp-secret">', 1)[1].split("<", 1)[0]
            status, _, location = await client.post(f"/console/enrol/{token}", {
                "password": PASSWORD, "secret": secret, "code": pyotp.TOTP(secret).at(clock())}, csrf=client.page_csrf)
            assert status == 303 and location.startswith("/console/sign-in")
            assert (await client.get(f"/console/enrol/{token}"))[0] == 404  # once only
            login = StaffLogin("bea", secret)
            assert await client.sign_in(login, clock()) == 401  # the enrolment's code is used up
            clock.advance(seconds=accounts.TOTP_STEP)
            assert await client.sign_in(login, clock(), code="000000") == 401  # the second factor counts
            assert await client.sign_in(login, clock()) == 303
            status, _, _ = await client.get("/console/queue")
            assert status == 200
            assert "sign_in.ok" in await audit_actions(svc) and "sign_in.failed" in await audit_actions(svc)
        finally:
            await client.close()
            await svc.stop()


async def attempt(base: str, name: str, password: str, code: str, address: str) -> tuple[int, str, str]:
    """One sign-in from `address` (the service trusts 127.0.0.1 as its proxy in these tests)."""
    async with aiohttp.ClientSession(headers={"Origin": base, "X-Forwarded-For": address},
                                     cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(base + "/console/sign-in") as r:
            token = csrf_of(await r.text())
        async with http.post(base + "/console/sign-in", allow_redirects=False, data={
                "csrf": token, "name": name, "password": password, "code": code}) as r:
            page = await r.text()
            message = page.split('role="status">', 1)[1].split("<", 1)[0] if 'role="status">' in page else ""
            return r.status, message, r.headers.get("Retry-After", "")


PROXIED = {"LIAISON_TRUSTED_PROXIES": "127.0.0.1"}


async def test_an_unknown_name_is_answered_exactly_like_a_known_one(settings_env, keyring) -> None:
    clock = ManualClock(NOW)
    svc = console(settings_env, keyring, clock, **PROXIED)
    async with serve_app(svc.web_app()) as base:
        try:
            login = await make_staff(svc, "cat", ["liaison"])
            code = login.code(clock())
            known = [await attempt(base, "cat", "wrong password!", code, "198.51.100.1") for _ in range(6)]
            unknown = [await attempt(base, "nobody-here", "wrong password!", code, "198.51.100.2")
                       for _ in range(6)]
            assert known == unknown
            assert [status for status, _m, _r in known] == [401, 401, 401, 401, 429, 429]
            assert known[-1][1] == "Too many attempts: wait 1 seconds and try again." and known[-1][2] == "1"
            actions = await audit_actions(svc)
            assert actions.count("sign_in.failed") == 8 and actions.count("sign_in.slowed") == 4
        finally:
            await svc.stop()


async def test_failures_slow_her_name_down_for_a_minute_at_most_never_lock_her_out(settings_env, keyring) -> None:
    clock = ManualClock(NOW)
    svc = console(settings_env, keyring, clock, **PROXIED)
    async with serve_app(svc.web_app()) as base:
        try:
            login = await make_staff(svc, "dee", ["liaison"])
            for n in range(40):  # someone tries her name from forty addresses, as fast as they are let
                status, _m, wait = await attempt(base, "dee", "guess", "000000", f"203.0.113.{n}")
                if status == 429:
                    assert int(wait) <= 61
                    clock.advance(seconds=int(wait))
            status, _m, wait = await attempt(base, "dee", PASSWORD, login.code(clock()), "192.0.2.7")
            assert status == 429 and 1 <= int(wait) <= 61  # slowed, not locked: she waits under a minute
            clock.advance(seconds=int(wait))
            assert (await attempt(base, "dee", PASSWORD, login.code(clock()), "192.0.2.7"))[0] == 303
        finally:
            await svc.stop()


async def test_one_address_trying_many_names_is_slowed_and_others_are_not(settings_env, keyring) -> None:
    clock = ManualClock(NOW)
    svc = console(settings_env, keyring, clock, **PROXIED)
    async with serve_app(svc.web_app()) as base:
        try:
            login = await make_staff(svc, "eli", ["liaison"])
            statuses = [(await attempt(base, f"name-{n}", "guess", "000000", "198.51.100.66"))[0] for n in range(6)]
            assert statuses == [401, 401, 401, 401, 429, 429]
            assert (await attempt(base, "eli", PASSWORD, login.code(clock()), "198.51.100.66"))[0] == 429
            assert (await attempt(base, "eli", PASSWORD, login.code(clock()), "192.0.2.8"))[0] == 303
        finally:
            await svc.stop()


async def test_an_admin_clears_a_slow_down_at_once_and_it_is_audited(settings_env, keyring) -> None:
    clock = ManualClock(NOW)
    svc = console(settings_env, keyring, clock, **PROXIED)
    async with serve_app(svc.web_app()) as base:
        admin = ConsoleClient(base)
        try:
            login = await make_staff(svc, "fay", ["liaison"])
            assert await admin.sign_in(await make_staff(svc, "ada", ["admin"]), clock()) == 303
            for _ in range(12):
                await attempt(base, "fay", "guess", "000000", "203.0.113.9")
            assert (await attempt(base, "fay", PASSWORD, login.code(clock()), "192.0.2.9"))[0] == 429
            _s, page, _l = await admin.get("/console/staff")
            assert "slowed down" in page
            async with svc.db.sessions() as s:
                fay = await s.scalar(select(StaffMember.id).where(StaffMember.name == "fay"))
            status, _b, _l = await admin.post(f"/console/staff/{fay}/clear-slowdown")
            assert status == 303 and "at once" in (admin.flash or "")
            assert (await attempt(base, "fay", PASSWORD, login.code(clock()), "192.0.2.9"))[0] == 303
            assert "sign_in.slowdown_cleared" in await audit_actions(svc)
        finally:
            await admin.close()
            await svc.stop()


async def test_a_session_ends_after_30_idle_minutes_or_12_hours(settings_env, keyring) -> None:
    clock = ManualClock(NOW)
    svc = console(settings_env, keyring, clock)
    async with serve_app(svc.web_app()) as base:
        client = ConsoleClient(base)
        try:
            login = await make_staff(svc, "dee", ["liaison"])
            assert await client.sign_in(login, clock()) == 303
            clock.advance(minutes=29)
            assert (await client.get("/console/queue"))[0] == 200
            clock.advance(minutes=31)
            status, _, location = await client.get("/console/queue")
            assert (status, location) == (302, "/console/sign-in")

            assert await client.sign_in(login, clock()) == 303
            for _ in range(25):  # busy all day: never idle, still ends at 12 hours
                clock.advance(minutes=29)
                status, _, _ = await client.get("/console/queue")
                if status != 200:
                    break
            assert status == 302 and clock() - NOW - timedelta(hours=1) >= timedelta(hours=11)
        finally:
            await client.close()
            await svc.stop()


async def test_the_cookie_is_httponly_strict_and_a_form_without_its_csrf_token_is_refused(settings_env,
                                                                                          keyring) -> None:
    clock = ManualClock(NOW)
    svc = console(settings_env, keyring, clock, LIAISON_PUBLIC_URL="https://console.example.org")
    async with serve_app(svc.web_app()) as base:
        client = ConsoleClient(base)
        try:
            login = await make_staff(svc, "eve", ["admin"])
            async with client.http.get(base + "/console/sign-in") as r:
                page, form_cookie = await r.text(), r.cookies[CSRF_COOKIE]
                assert form_cookie["secure"] and form_cookie["httponly"]
            # a Secure cookie is not sent back over plain http by a client: this test sends it itself
            async with client.http.post(base + "/console/sign-in", allow_redirects=False, data={
                    "csrf": csrf_of(page), "name": "eve", "password": PASSWORD, "code": login.code(clock())},
                    headers={"Cookie": f"{CSRF_COOKIE}={form_cookie.value}"}) as r:
                assert r.status == 303
                cookie = r.cookies["liaison_console"]
                assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["secure"]
                assert cookie["path"] == "/console"
        finally:
            await client.close()
            await svc.stop()
    svc = console(settings_env, keyring, clock)
    clock.advance(seconds=accounts.TOTP_STEP)  # a fresh code: the first one signed in already
    async with serve_app(svc.web_app()) as base:
        client = ConsoleClient(base)
        try:
            assert await client.sign_in(StaffLogin("eve", login.secret), clock()) == 303
            status, _, _ = await client.post("/console/staff", {"name": "mallory", "role": "admin"}, csrf="forged")
            assert status == 403
            async with svc.db.sessions() as s:
                assert await s.scalar(select(StaffMember).where(StaffMember.name == "mallory")) is None
            status, page, _ = await client.post("/console/staff", {"name": "fay", "role": "liaison"})
            assert status == 200 and "/console/enrol/" in page
        finally:
            await client.close()
            await svc.stop()


async def test_a_totp_code_signs_in_once_and_never_again_nor_an_earlier_one(settings_env, keyring) -> None:
    clock = ManualClock(NOW)
    svc = console(settings_env, keyring, clock)
    async with serve_app(svc.web_app()) as base:
        client, thief = ConsoleClient(base), ConsoleClient(base)
        try:
            login = await make_staff(svc, "gil", ["liaison"])
            code = login.code(clock())
            assert await client.sign_in(login, clock(), code=code) == 303
            assert await thief.sign_in(login, clock(), code=code) == 401  # the same code, same window
            clock.advance(seconds=20)
            assert await thief.sign_in(login, clock(), code=code) == 401  # still inside its window
            previous = login.code(NOW - timedelta(seconds=accounts.TOTP_STEP))
            assert await thief.sign_in(login, clock(), code=previous) == 401  # an earlier step's code
            clock.advance(seconds=accounts.TOTP_STEP)
            assert await thief.sign_in(login, clock()) == 303  # the next step's code, once
            assert await thief.sign_in(login, clock()) == 401
        finally:
            await client.close()
            await thief.close()
            await svc.stop()
