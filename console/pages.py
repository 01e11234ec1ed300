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
from markupsafe import Markup
from sqlalchemy import select

from bot.storage.models import StaffMember
from console.texts import Text, label, translate, usable

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


@jinja2.pass_context
def _gettext(ctx: jinja2.runtime.Context, text: str | Text, **params: Any) -> str:
    """`{{ _("English text") }}`: the text in the page's locale (console.texts)."""
    return translate(ctx.get("locale", "en"), text, **params)


@jinja2.pass_context
def _word(ctx: jinja2.runtime.Context, kind: str, code: str | None, english: str | None = None) -> Markup:
    """`{{ word("reason", e.reason) }}`: the words for a code, the code itself in the tooltip."""
    if not code:
        return Markup("")
    return Markup('<span class="code" title="{}">{}</span>').format(
        code, label(ctx.get("locale", "en"), kind, code, english))


@jinja2.pass_context
def _word_text(ctx: jinja2.runtime.Context, kind: str, code: str | None, english: str | None = None,
               fixed: str | None = None) -> str:
    """The words for a code as plain text (an option of a list), in the page's locale or `fixed`."""
    return label(fixed or ctx.get("locale", "en"), kind, code, english)


@jinja2.pass_context
def _actor(ctx: jinja2.runtime.Context, who: str | None) -> Markup:
    """Who did it, as a person reads it: `staff:1` -> their name (from the page's `staff_names`), the
    service or her in words; the stored value in the tooltip."""
    if not who:
        return Markup("")
    kind, _sep, number = who.partition(":")
    if kind == "staff" and number.isdigit():
        name = ctx.get("staff_names", {}).get(int(number)) or translate(
            ctx.get("locale", "en"), "staff member #{id}", id=number)
    else:
        name = label(ctx.get("locale", "en"), "actor", who, who)
    return Markup('<span class="actor" title="{}">{}</span>').format(who, name)


_env = jinja2.Environment(loader=jinja2.PackageLoader("console", "templates"), autoescape=True,
                          undefined=jinja2.StrictUndefined)
_env.globals.update(_=_gettext, word=_word, word_text=_word_text, actor=_actor)


def me(request: web.Request) -> StaffMember:
    """The signed-in staff member (set by the guard)."""
    return request[ME]  # type: ignore[return-value]


def svc(request: web.Request) -> WebHost:
    """The running service, as the console sees it."""
    return request.app[CONSOLE_KEY]  # type: ignore[return-value]


def locale_of(request: web.Request) -> str:
    """The console's language for this request: the signed-in member's choice, else the site's."""
    member = request.get(ME)
    chosen = getattr(member, "locale", None)
    return usable(chosen or svc(request).settings.console_locale)


def text_in(request: web.Request, text: str | Text, **params: Any) -> str:
    """A text for this request's reader, in their locale (for what is not a page: a title, a header)."""
    return translate(locale_of(request), text, **params)


async def staff_names(service: WebHost) -> dict[int, str]:
    """Every staff member's name by id: a page shows `staff:1` as the person (`actor` in a template)."""
    async with service.db.sessions() as s:
        return {i: n for i, n in (await s.execute(select(StaffMember.id, StaffMember.name))).all()}


def render(request: web.Request, template: str, status: int = 200, **ctx: Any) -> web.Response:
    """A page. Its flash message is the one this server chose on the redirect before it (a signed,
    one-time cookie): never text from the URL, which anyone can put in a link."""
    carried = read_flash(request)
    ctx.setdefault("locale", locale_of(request))
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


def render_fragment(request: web.Request, template: str, **ctx: Any) -> str:
    ctx.setdefault("locale", locale_of(request))
    return _env.get_template(template).render(**ctx)


def see_other(location: str, flash: Text | None = None, kind: str | None = None) -> web.HTTPSeeOther:
    """A redirect after a POST; its flash message (a `Text` the server chose, shown in the reader's
    locale) rides to the next page in a signed one-time cookie (set by the guard, which holds the key:
    `seal_flash`), never in the URL."""
    response = web.HTTPSeeOther(location)
    if flash:
        response[FLASH] = (flash.key[:500], _flash_params(flash), kind if kind in FLASH_KINDS else None)
    return response


def _flash_params(text: Text) -> dict[str, Any]:
    """A flash message's values for its cookie: text, or a text of ours ({"text": key}) shown in the
    reader's locale too."""
    return {k: {"text": v.key[:500], "params": _flash_params(v)} if isinstance(v, Text) else str(v)[:200]
            for k, v in text.params.items()}


def flash_text(key: Any, params: Any) -> Text:
    """A flash message from its cookie's key and values (`_flash_params`)."""
    return Text(str(key), {str(k): flash_text(v["text"], v.get("params") or {}) if isinstance(v, dict) else str(v)
                           for k, v in dict(params).items()})


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


def read_flash(request: web.Request) -> tuple[Text, str | None] | None:
    """The message this server set on the last redirect, if its signature holds."""
    body, _sep, mac = request.cookies.get(FLASH_COOKIE, "").partition(".")
    if not body or not hmac.compare_digest(mac.encode(), _flash_mac(request, body).encode()):
        return None
    try:
        key, params, kind = json.loads(base64.urlsafe_b64decode(body.encode()))
        return flash_text(key, params), kind if kind in FLASH_KINDS else None
    except (ValueError, TypeError):
        return None


def set_cookie(response: web.StreamResponse, request: web.Request, name: str, value: str) -> None:
    response.set_cookie(name, value, httponly=True, samesite="Strict", secure=svc(request).settings.secure_cookies,
                        path="/console")
