"""Signing in to the console, as a worker would: the one-time enrolment link, password and TOTP,
lockout after 5 failures, idle and absolute session expiry on the service clock, cookie flags,
CSRF on every form, and every attempt in the audit log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
from sqlalchemy import select

from bot.clock import ManualClock
from bot.console.pages import CSRF_COOKIE
from bot.staff import accounts
from bot.storage.models import AuditEvent, StaffMember
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
                "password": PASSWORD, "secret": secret, "code": pyotp.TOTP(secret).at(clock())}, csrf=csrf_of(page))
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


async def test_five_wrong_attempts_lock_the_account_for_fifteen_minutes(settings_env, keyring) -> None:
    clock = ManualClock(NOW)
    svc = console(settings_env, keyring, clock)
    async with serve_app(svc.web_app()) as base:
        client = ConsoleClient(base)
        try:
            login = await make_staff(svc, "cat", ["liaison"])
            for _ in range(4):
                assert await client.sign_in(login, clock(), password="wrong password!") == 401
            assert await client.sign_in(login, clock(), password="wrong password!") == 429
            assert await client.sign_in(login, clock()) == 429  # even the right password, while locked
            clock.advance(minutes=14)
            assert await client.sign_in(login, clock()) == 429
            clock.advance(minutes=2)
            assert await client.sign_in(login, clock()) == 303
            actions = await audit_actions(svc)
            assert actions.count("sign_in.failed") == 4 and "sign_in.locked" in actions
            assert actions.count("sign_in.refused") == 2 and actions[-1] == "sign_in.ok"
        finally:
            await client.close()
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
