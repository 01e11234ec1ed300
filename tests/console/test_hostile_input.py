"""Hostile ids and text in the console's paths, queries and forms are answered 404 or 400 by the one
input layer (console/inputs.py), on SQLite and PostgreSQL alike: never a database error (500).
The generated run over every route and role is tests/console/test_fuzz.py."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.clock import ManualClock
from console.permissions import ROUTES
from tests.support.console import ConsoleClient, console_service, make_staff
from tests.support.http import serve_app

NOW = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)
HUGE = "99999999999999999999"


async def test_an_id_beyond_the_integer_range_or_a_nul_byte_is_a_404_or_400_never_a_500(settings_env,
                                                                                       keyring) -> None:
    svc = console_service(settings_env, keyring, ManualClock(NOW))
    async with serve_app(svc.web_app()) as base:
        boss = ConsoleClient(base)
        try:
            assert await boss.sign_in(await make_staff(svc, "boss", ["liaison", "supervisor", "admin"]), NOW) == 303
            for method, path in ROUTES:
                if "{id}" not in path:
                    continue
                for bad in (HUGE, "2147483648", "-1", "0", "1e3", "%00", "%2500"):
                    url = path.replace("{id}", bad)
                    status = (await boss.get(url) if method == "GET" else await boss.post(url))[0]
                    assert status in (400, 404), f"{method} {url}: {status}"
            for url in ("/console/survivors/%00", "/console/survivors/" + "x" * 5000, "/console/audit?actor=%00",
                        "/console/audit?action=%00", "/console/audit?survivor=" + "y" * 2000, "/console/queue?%00=1"):
                status = (await boss.get(url))[0]
                assert status in (400, 404), f"GET {url}: {status}"
            for path, form in (("/console/rota", {"staff_id": HUGE, "starts_at": "2026-03-05T09:00",
                                                  "ends_at": "2026-03-05T17:00"}),
                               ("/console/escalations/1/note", {"note": "a\x00b"}),
                               ("/console/escalations/1/reassign", {"to": "a\x00b"}),
                               ("/console/survivors/nobody/case", {"site": "north", "case_ref": "\x00"})):
                status = (await boss.post(path, form))[0]
                assert status in (303, 400, 404), f"POST {path}: {status}"
        finally:
            await boss.close()
            await svc.stop()


async def test_a_code_or_token_in_other_scripts_is_wrong_not_an_error(settings_env, keyring) -> None:
    """Found by the fuzz run: comparing a non-ASCII TOTP code or CSRF token in constant time raised."""
    svc = console_service(settings_env, keyring, ManualClock(NOW))
    async with serve_app(svc.web_app()) as base:
        worker = ConsoleClient(base)
        try:
            login = await make_staff(svc, "wen", ["liaison"])
            assert await worker.sign_in(login, NOW, code="１２３４５６") == 401
            assert await worker.sign_in(login, NOW) == 303
            assert (await worker.post("/console/me/sms", {"number": ""}, csrf="tökén"))[0] == 403
        finally:
            await worker.close()
            await svc.stop()
