"""What a hostile page or link can do to a worker's console: nothing. Every console page carries a
Content-Security-Policy with no inline script (and holds none), may not be framed, sends no Referer
and no powerful feature; a POST from another origin is refused even with her cookie and the form's
token; a link's `?flash=` text is never shown (the flash message is the server's own, signed); and
the audit filter takes `%` and `_` literally."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import aiohttp

from bot.clock import ManualClock
from bot.storage.audit import audit
from console.permissions import ROUTES
from tests.support.console import ConsoleClient, console_service, csrf_of, make_staff
from tests.support.http import serve_app

NOW = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
HANDLER = re.compile(r"<[^>]+\son[a-z]+=", re.I)  # onclick= and the like: inline script too


async def test_every_console_page_has_a_strict_policy_and_no_inline_script_or_style(settings_env, keyring) -> None:
    svc = console_service(settings_env, keyring, ManualClock(NOW))
    async with serve_app(svc.web_app()) as base:
        boss = ConsoleClient(base)
        try:
            assert await boss.sign_in(await make_staff(svc, "boss", ["liaison", "supervisor", "admin"]), NOW) == 303
            pages = [p for m, p in ROUTES if m == "GET" and "{" not in p and not p.endswith(("events", ".zip"))]
            assert "/console/queue" in pages and "/console/audit" in pages
            for path in [*pages, "/console/sign-in"]:
                async with boss.http.get(base + path, allow_redirects=False) as r:
                    body, headers = await r.text(), r.headers
                csp = headers.get("Content-Security-Policy", "")
                assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp, path
                assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, path
                assert headers.get("Referrer-Policy") == "no-referrer", path
                assert "camera=()" in headers.get("Permissions-Policy", ""), path
                assert headers.get("X-Content-Type-Options") == "nosniff", path
                assert not INLINE_SCRIPT.search(body) and "<style" not in body and not HANDLER.search(body), path
            async with boss.http.get(base + "/console/static/queue.js") as r:
                assert r.status == 200 and r.content_type == "text/javascript"
            async with boss.http.get(base + "/console/static/..%2fpages.py") as r:
                assert r.status == 404
        finally:
            await boss.close()
            await svc.stop()


async def test_a_post_from_another_origin_is_refused_even_with_the_cookie_and_token(settings_env, keyring) -> None:
    svc = console_service(settings_env, keyring, ManualClock(NOW))
    async with serve_app(svc.web_app()) as base:
        admin = ConsoleClient(base)
        try:
            assert await admin.sign_in(await make_staff(svc, "ada", ["admin"]), NOW) == 303
            form = {"csrf": admin.csrf, "name": "mallory", "role": "admin"}
            for headers in ({"Origin": "https://evil.example"}, {"Origin": "null"},
                            {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
                            {"Origin": "https://evil.example", "Sec-Fetch-Site": "same-origin"},
                            {"Origin": "", "Referer": "https://evil.example/page"}, {"Origin": ""}):
                async with admin.http.post(base + "/console/staff", data=form, headers=headers,
                                           allow_redirects=False) as r:
                    assert r.status == 403, headers
            async with admin.http.post(base + "/console/staff", data={**form, "name": "fay"},
                                       headers={"Origin": "", "Referer": base + "/console/staff"},
                                       allow_redirects=False) as r:
                assert r.status == 200  # a Referer of our own page stands in for a missing Origin
            async with admin.http.post(base + "/console/staff", data={**form, "name": "gus"},
                                       headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"},
                                       allow_redirects=False) as r:
                assert r.status == 200  # what a browser sends from our pages (they send no Referer)
            async with aiohttp.ClientSession() as stranger:  # a signed-out form from elsewhere
                async with stranger.get(base + "/console/sign-in") as r:
                    token = csrf_of(await r.text())
                async with stranger.post(base + "/console/sign-in", data={"csrf": token, "name": "ada"},
                                         headers={"Origin": "https://evil.example"}, allow_redirects=False) as r:
                    assert r.status == 403
        finally:
            await admin.close()
            await svc.stop()


async def test_text_in_a_link_is_never_shown_as_a_message_and_the_servers_own_is_shown_once(settings_env,
                                                                                          keyring) -> None:
    svc = console_service(settings_env, keyring, ManualClock(NOW))
    async with serve_app(svc.web_app()) as base:
        worker = ConsoleClient(base)
        try:
            lure = "Your+account+is+suspended.+Call+0800+000+000"
            status, page, _ = await worker.get(f"/console/sign-in?flash={lure}&kind=error")
            assert status == 200 and "suspended" not in page and "flash" not in page.split("<main>", 1)[1][:40]
            assert await worker.sign_in(await make_staff(svc, "wim", ["liaison"]), NOW) == 303
            status, page, _ = await worker.get(f"/console/queue?flash={lure}")
            assert "suspended" not in page
            status, _b, location = await worker.post("/console/me/sms", {"number": "not a number"})
            assert status == 303 and location == "/console/me" and "international form" in (worker.flash or "")
            status, page, _ = await worker.get("/console/me")
            assert "international form" in page  # carried by the server's signed cookie
            status, page, _ = await worker.get("/console/me")
            assert "international form" not in page  # once
            worker.http.cookie_jar.update_cookies({"liaison_console_flash": "eyJ4Ijoi.forged"})
            status, page, _ = await worker.get("/console/me")
            assert status == 200 and "flash" not in page.split("<main>", 1)[1][:40]
        finally:
            await worker.close()
            await svc.stop()


async def test_the_audit_filter_takes_percent_and_underscore_literally(settings_env, keyring) -> None:
    svc = console_service(settings_env, keyring, ManualClock(NOW))
    async with serve_app(svc.web_app()) as base:
        sup = ConsoleClient(base)
        try:
            async with svc.db.transaction() as s:
                audit(s, "test", "rota.shift_added", now=NOW)
                audit(s, "test", "rotaXshift_removed", now=NOW)
            assert await sup.sign_in(await make_staff(svc, "sam", ["supervisor"]), NOW) == 303
            rows = re.compile(r'<span class="code" title="(rota[^"]*)">')
            _s, page, _l = await sup.get("/console/audit?action=rota_")
            assert rows.findall(page) == []
            _s, page, _l = await sup.get("/console/audit?action=%25")
            assert rows.findall(page) == []
            _s, page, _l = await sup.get("/console/audit?action=rota.")
            assert rows.findall(page) == ["rota.shift_added"]
        finally:
            await sup.close()
            await svc.stop()
