"""What every console page uses: the request's signed-in member and CSRF token, the service, the
templates, redirects with a flash message, the cookies. The guard and the route table that set
them up are app.py."""

from __future__ import annotations

import asyncio
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

_env = jinja2.Environment(loader=jinja2.PackageLoader("bot.console", "templates"), autoescape=True,
                          undefined=jinja2.StrictUndefined)


def me(request: web.Request) -> StaffMember:
    """The signed-in staff member (set by the guard)."""
    return request[ME]  # type: ignore[return-value]


def svc(request: web.Request) -> WebHost:
    """The running service, as the console sees it."""
    return request.app[CONSOLE_KEY]  # type: ignore[return-value]


def render(request: web.Request, template: str, status: int = 200, **ctx: Any) -> web.Response:
    ctx.setdefault("me", request.get(ME))
    ctx.setdefault("csrf", request.get(CSRF, ""))
    ctx.setdefault("flash", request.query.get("flash"))
    ctx.setdefault("flash_kind", request.query.get("kind"))
    ctx.setdefault("title", None)
    html = _env.get_template(template).render(**ctx)
    return web.Response(text=html, content_type="text/html", status=status,
                        headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY",
                                 "Referrer-Policy": "no-referrer"})


def render_fragment(template: str, **ctx: Any) -> str:
    return _env.get_template(template).render(**ctx)


def see_other(location: str, flash: str | None = None, kind: str | None = None) -> web.HTTPSeeOther:
    from urllib.parse import urlencode

    query = {k: v for k, v in (("flash", flash), ("kind", kind)) if v}
    return web.HTTPSeeOther(location + ("?" + urlencode(query) if query else ""))


def set_cookie(response: web.StreamResponse, request: web.Request, name: str, value: str) -> None:
    response.set_cookie(name, value, httponly=True, samesite="Strict", secure=svc(request).settings.secure_cookies,
                        path="/console")
