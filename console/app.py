"""The console inside the service's aiohttp app: the guard every request passes, and the one list
binding the routes of console.permissions to their handlers (what the pages share: pages.py).

The guard (a middleware) looks up the matched route in the permissions table: a public page
gets a double-submit CSRF check; any other needs a live session (else 302 to sign-in), one of
the route's roles (else 403) and, for a POST, the session's CSRF token (else 403). Path parameters
and form fields pass the input layer (inputs.py) before any handler sees them.
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from aiohttp import web
from yarl import URL

from bot.oncall.roles import PROGRAMME
from bot.programme.answer_floor import mark_programme_side
from bot.storage.bell import listen_postgres
from console import (
    auth_views,
    call_views,
    conversation_views,
    headers,
    inputs,
    notice_views,
    other_views,
    permissions,
    pin_views,
    programme_views,
    queue_views,
    static_views,
    survivor_views,
)
from console.pages import (
    CONSOLE_KEY,
    CSRF,
    CSRF_COOKIE,
    ME,
    SESSION_COOKIE,
    SIGN_IN,
    STOP_KEY,
    TOKEN,
    Handler,
    seal_flash,
    set_cookie,
    svc,
)
from console.staff.sessions import current

if TYPE_CHECKING:
    from bot.web.host import WebHost


def _same_token(ours: str, given: str) -> bool:
    """In constant time, and as bytes: a token with non-ASCII characters is wrong, not an error."""
    return hmac.compare_digest(ours.encode(), given.encode())


def _form_token(request: web.Request, form: Any) -> str:
    return str(form.get("csrf") or request.headers.get("X-CSRF-Token") or "")


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith("/console"):
        return await handler(request)
    resource = request.match_info.route.resource
    path = resource.canonical if resource is not None else ""
    method = "GET" if request.method == "HEAD" else request.method
    if (method, path) not in permissions.ROUTES:
        exc = request.match_info.http_exception
        if exc is not None:
            raise exc
        raise web.HTTPForbidden(text="forbidden")
    service = svc(request)
    if method == "POST" and not _same_origin(request):
        raise web.HTTPForbidden(text="this form was not sent from the console's own pages")
    if permissions.is_public(method, path):
        inputs.check_path_params(request.match_info)
        if method == "POST":
            form = await request.post()
            inputs.check_form(form)
            cookie = request.cookies.get(CSRF_COOKIE, "")
            if not cookie or not _same_token(cookie, _form_token(request, form)):
                raise web.HTTPForbidden(text="this form has expired: reload the page and try again")
        token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
        request[CSRF] = token
        response = await _handle(request, handler)
        if CSRF_COOKIE not in request.cookies:
            set_cookie(response, request, CSRF_COOKIE, token)
        return response
    async with service.db.transaction() as s:
        signed = await current(s, request.cookies.get(SESSION_COOKIE), service.clock())
    if signed is None:
        raise web.HTTPFound(SIGN_IN)
    if PROGRAMME & set(signed.member.roles or []):
        mark_programme_side(request)  # its answers never time her case (bot/programme/answer_floor.py)
    if not permissions.allowed(method, path, signed.member.roles or []):
        raise web.HTTPForbidden(text="your role may not do this")
    inputs.check_path_params(request.match_info)
    if method == "POST":
        form = await request.post()
        inputs.check_form(form)
        if not _same_token(signed.session.csrf_token, _form_token(request, form)):
            raise web.HTTPForbidden(text="this form has expired: reload the page and try again")
    request[ME], request[CSRF] = signed.member, signed.session.csrf_token
    request[TOKEN] = request.cookies.get(SESSION_COOKIE, "")
    return await _handle(request, handler)


async def _handle(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The page; a redirect's flash message goes on as a signed cookie, never in the URL."""
    try:
        response = await handler(request)
    except web.HTTPSeeOther as redirect:
        seal_flash(request, redirect)
        raise
    seal_flash(request, response)
    return response


def _same_origin(request: web.Request) -> bool:
    """A POST must come from a page of ours, even when a cookie would ride along on a form from another
    site. Its Origin, when it names one, must be ours (this service's public address or the address it
    was sent to). Our pages send no Referer (`Referrer-Policy: no-referrer`), so a browser sends their
    forms with `Origin: null`: then the browser's own `Sec-Fetch-Site: same-origin` (or, from a browser
    without it, a Referer of ours) must say so."""
    ours = {URL(svc(request).settings.public_url).origin(), request.url.origin()}

    def is_ours(value: str) -> bool:
        try:
            return URL(value).origin() in ours
        except ValueError:
            return False

    origin = request.headers.get("Origin", "")
    if origin and origin != "null":
        return is_ours(origin)
    if request.headers.get("Sec-Fetch-Site") is not None:
        return request.headers["Sec-Fetch-Site"] == "same-origin"
    referer = request.headers.get("Referer", "")
    return bool(referer) and is_ours(referer)


def handlers(*extra: Mapping[tuple[str, str], Handler]) -> dict[tuple[str, str], Handler]:
    """The console's own pages, then the pages other packages add (given by the composition root)."""
    table: dict[tuple[str, str], Handler] = {}
    for pages in (auth_views.HANDLERS, queue_views.HANDLERS, survivor_views.HANDLERS, pin_views.HANDLERS,
                  notice_views.HANDLERS, programme_views.HANDLERS, other_views.HANDLERS, static_views.HANDLERS,
                  call_views.HANDLERS, conversation_views.HANDLERS,
                  *extra):
        table.update(pages)
    return table


def install_console(app: web.Application, service: WebHost,
                    pages: Iterable[Mapping[tuple[str, str], Handler]] = ()) -> None:
    """Register every console route (each must have its row in the permissions table): the console's
    own, then `pages` from other packages."""
    app[CONSOLE_KEY] = service
    app[STOP_KEY] = asyncio.Event()
    table = handlers(*pages)
    missing = set(permissions.ROUTES) ^ set(table)
    if missing:
        raise RuntimeError(f"console routes and permissions differ: {sorted(missing)}")
    for (method, path), handler in table.items():
        app.router.add_route(method, path, handler)
    app.middlewares.append(headers.security_headers)  # every route of the app, the console's and the others'
    app.middlewares.append(inputs.refuse_bad_input)  # the same
    app.middlewares.append(guard)

    async def stop_streams(_app: web.Application) -> None:
        _app[STOP_KEY].set()

    async def hear_other_processes(_app: web.Application) -> AsyncIterator[None]:
        """PostgreSQL: changes other processes commit ring this process's bell too (bot.storage.bell)."""
        task = None if service.db.is_sqlite else asyncio.create_task(
            listen_postgres(service.db.url, service.db.bell, _app[STOP_KEY]))
        yield
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    app.on_shutdown.append(stop_streams)
    app.cleanup_ctx.append(hear_other_processes)
