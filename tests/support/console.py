"""Staff for console tests: accounts made through the real enrolment code, and a signed-in HTTP
client that carries its cookies and reads the CSRF token from the pages, as a browser would."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiohttp
import pyotp

from bot.service import Service
from console.pages import FLASH_COOKIE, flash_text
from console.staff import accounts
from console.texts import translate
from liaison.service import create_service

PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
CSRF_SHOWN = "(form token)"


@dataclass
class StaffLogin:
    name: str
    secret: str

    def code(self, now: datetime) -> str:
        return pyotp.TOTP(self.secret).at(now)


async def make_staff(svc: Service, name: str, roles: list[str], *, totp: bool = True) -> StaffLogin:
    """An active account, enrolled as the enrolment page would do it (with the code of the step
    before now's: a code is good once, and the test signs in with now's next)."""
    now = svc.clock()
    secret = pyotp.random_base32()
    earlier = pyotp.TOTP(secret).at(now - timedelta(seconds=accounts.TOTP_STEP))
    async with svc.db.transaction() as s:
        member, _token = await accounts.add_staff(s, name, roles, now, actor="test")
        await accounts.complete_enrolment(s, member, PASSWORD, secret, earlier if totp else "",
                                          now, totp_required=totp, hasher=svc.pin_hasher)
    return StaffLogin(name, secret)


def as_read(html: str) -> str:
    """The page as a person reads it: a random form token holding "K-9" is not her case reference."""
    return CSRF.sub(f'name="csrf" value="{CSRF_SHOWN}"', html)


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF field on the page"
    return found.group(1)


class ConsoleClient:
    """An HTTP client for one person (its own cookie jar), not following redirects. The loopback
    server counts as a secure origin: a service with an https public URL sets `Secure` cookies."""

    def __init__(self, base: str, svc: Service | None = None) -> None:
        self.base = base
        self.svc = svc  # given: each POST returns once the service's background matching is done
        # a browser sends its page's origin with every POST (the console refuses one without)
        jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[base])
        self.http = aiohttp.ClientSession(cookie_jar=jar, headers={"Origin": base})
        self.csrf = ""
        self.page_csrf = ""  # the form token of the last page fetched with `get`
        self.flash: str | None = None  # the message the last POST's redirect carries to the next page
        self.flash_kind: str | None = None

    async def close(self) -> None:
        await self.http.close()

    async def get(self, path: str) -> tuple[int, str, str]:
        """The page `as_read`; its form token is kept in `page_csrf`."""
        async with self.http.get(self.base + path, allow_redirects=False) as r:
            html = await r.text()
            found = CSRF.search(html)
            self.page_csrf = found.group(1) if found else ""
            return r.status, as_read(html), r.headers.get("Location", "")

    async def post(self, path: str, data: dict[str, str] | None = None, *, csrf: str | None = None
                   ) -> tuple[int, str, str]:
        form = {"csrf": self.csrf if csrf is None else csrf, **(data or {})}
        async with self.http.post(self.base + path, data=form, allow_redirects=False) as r:
            carried = r.cookies.get(FLASH_COOKIE)
            self.flash, self.flash_kind = None, None
            if carried is not None and carried.value:
                key, params, kind = json.loads(base64.urlsafe_b64decode(carried.value.partition(".")[0]))
                self.flash, self.flash_kind = translate("en", flash_text(key, params)), kind
            answer = r.status, as_read(await r.text()), r.headers.get("Location", "")
        if self.svc is not None:
            await self.svc.settler.settled()
        return answer

    async def sign_in(self, login: StaffLogin, now: datetime, *, password: str = PASSWORD,
                      code: str | None = None) -> int:
        status, _html, _ = await self.get("/console/sign-in")
        assert status == 200 and self.page_csrf, "no CSRF field on the sign-in page"
        status, _, _ = await self.post("/console/sign-in", {
            "name": login.name, "password": password, "code": login.code(now) if code is None else code,
        }, csrf=self.page_csrf)
        if status == 303:
            await self.get("/console/me")
            assert self.page_csrf, "no CSRF field on the page"
            self.csrf = self.page_csrf
        return status


def console_service(env: dict[str, object], keyring: object, clock: object) -> Service:
    """The service on `clock` throughout (pipeline, dispatcher, console, column defaults)."""
    from bot.settings import load_settings

    return create_service(load_settings(**env), keyring=keyring, clock=clock)  # type: ignore[arg-type]
