"""What every console page uses: the request's signed-in member and CSRF token, the service, the
templates, redirects with a flash message, the cookies. The guard and the route table that set
them up are app.py."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import jinja2
from aiohttp import web

from bot.storage.models import StaffMember

if TYPE_CHECKING:
    from bot.web.host import WebHost

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
CONSOLE_KEY = web.AppKey("console", object)
STOP_KEY = web.AppKey("console_stop", asyncio.Event)
ME = web.RequestKey("me", object)
CSRF = web.RequestKey("csrf", str)
TOKEN = web.RequestKey("session_token", str)
SESSION_COOKIE = "liaison_console"
CSRF_COOKIE = "liaison_console_csrf"
SIGN_IN = "/console/sign-in"
FLASH_COOKIE = "liaison_console_flash"
FLASH = web.ResponseKey("liaison_flash", tuple)  # a redirect's message, until the guard signs it into FLASH_COOKIE
FLASH_KINDS = ("error",)

_env = jinja2.Environment(loader=jinja2.PackageLoader("console", "templates"), autoescape=True,
                          undefined=jinja2.StrictUndefined)


def gettext(text: str) -> str:
    """A visible English text, as the staff member reads it (the English itself until the console has its
    catalogues per locale)."""
    return text


_env.globals.setdefault("_", gettext)


def me(request: web.Request) -> StaffMember:
    """The signed-in staff member (set by the guard)."""
    return request[ME]  # type: ignore[return-value]


def svc(request: web.Request) -> WebHost:
    """The running service, as the console sees it."""
    return request.app[CONSOLE_KEY]  # type: ignore[return-value]


def render(request: web.Request, template: str, status: int = 200, **ctx: Any) -> web.Response:
    """A page. Its flash message is the one this server chose on the redirect before it (a signed,
    one-time cookie): never text from the URL, which anyone can put in a link."""
    carried = read_flash(request)
    ctx.setdefault("me", request.get(ME))
    ctx.setdefault("csrf", request.get(CSRF, ""))
    ctx.setdefault("flash", carried[0] if carried else None)
    ctx.setdefault("flash_kind", carried[1] if carried else None)
    ctx.setdefault("title", None)
    html = _env.get_template(template).render(**ctx)
    response = web.Response(text=html, content_type="text/html", status=status, headers={"Cache-Control": "no-store"})
    if FLASH_COOKIE in request.cookies:
        response.del_cookie(FLASH_COOKIE, path="/console")
    return response


def render_fragment(template: str, **ctx: Any) -> str:
    return _env.get_template(template).render(**ctx)


def see_other(location: str, flash: str | None = None, kind: str | None = None) -> web.HTTPSeeOther:
    """A redirect after a POST; its flash message rides to the next page in a signed one-time cookie
    (set by the guard, which holds the key: `seal_flash`), never in the URL."""
    response = web.HTTPSeeOther(location)
    if flash:
        response[FLASH] = (flash[:500], kind if kind in FLASH_KINDS else None)
    return response


def _flash_mac(request: web.Request, body: str) -> str:
    key = svc(request).keyring.subkey("console flash v1")
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


def seal_flash(request: web.Request, response: web.StreamResponse) -> None:
    """Turn a redirect's flash message into its signed cookie."""
    carried = response.get(FLASH)
    if not carried:
        return
    body = base64.urlsafe_b64encode(json.dumps(list(carried)).encode()).decode()
    response.set_cookie(FLASH_COOKIE, f"{body}.{_flash_mac(request, body)}", max_age=120, httponly=True,
                        samesite="Strict", secure=svc(request).settings.secure_cookies, path="/console")


def read_flash(request: web.Request) -> tuple[str, str | None] | None:
    """The message this server set on the last redirect, if its signature holds."""
    body, _, mac = request.cookies.get(FLASH_COOKIE, "").partition(".")
    if not body or not hmac.compare_digest(mac.encode(), _flash_mac(request, body).encode()):
        return None
    try:
        text, kind = json.loads(base64.urlsafe_b64decode(body.encode()))
    except (ValueError, TypeError):
        return None
    return str(text), kind if kind in FLASH_KINDS else None


def set_cookie(response: web.StreamResponse, request: web.Request, name: str, value: str) -> None:
    response.set_cookie(name, value, httponly=True, samesite="Strict", secure=svc(request).settings.secure_cookies,
                        path="/console")
