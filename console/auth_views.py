"""Signing in and out, and the one-time enrolment page (password + TOTP)."""

from __future__ import annotations

import pyotp
from aiohttp import web

from console.pages import SESSION_COOKIE, TOKEN, me, render, see_other, set_cookie, svc
from console.staff import accounts
from console.staff.sessions import end_session, open_session
from console.texts import _

FIRST_PAGE = {"liaison": "/console/queue", "supervisor": "/console/queue", "evaluator": "/console/evaluation",
              "admin": "/console/staff", "programme": "/console/programme"}


async def sign_in_page(request: web.Request) -> web.StreamResponse:
    return render(request, "sign_in.html", title=_("Sign in"))


def client_address(request: web.Request) -> str:
    """Who is asking: the connection's address, or behind one of our own reverse proxies
    (LIAISON_TRUSTED_PROXIES) the last address that proxy saw in X-Forwarded-For."""
    remote = request.remote or "unknown"
    if remote in svc(request).settings.trusted_proxies:
        hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
        if hops:
            return hops[-1][:64]
    return remote


async def sign_in(request: web.Request) -> web.StreamResponse:
    service = svc(request)
    form = await request.post()
    now = service.clock()
    async with service.db.transaction() as s:
        result = await accounts.sign_in(s, str(form.get("name", "")), str(form.get("password", "")),
                                        str(form.get("code", "")), now,
                                        totp_required=service.settings.totp_required, hasher=service.pin_hasher,
                                        address=client_address(request))
        token = await open_session(s, result.member, now) if result.outcome == "ok" and result.member else None
    if token is None:
        if result.outcome == "wait":
            response = render(request, "sign_in.html", status=429, title=_("Sign in"), flash_kind="error",
                              flash=_("Too many attempts: wait {seconds} seconds and try again.",
                                       seconds=result.wait_seconds))
            response.headers["Retry-After"] = str(result.wait_seconds)
            return response
        return render(request, "sign_in.html", status=401, title=_("Sign in"), flash=_("Those details do not match."),
                      flash_kind="error")
    response = web.HTTPSeeOther("/console")
    set_cookie(response, request, SESSION_COOKIE, token)
    raise response


async def sign_out(request: web.Request) -> web.StreamResponse:
    service = svc(request)
    async with service.db.transaction() as s:
        await end_session(s, request[TOKEN], service.clock())
    response = web.HTTPSeeOther("/console/sign-in")
    response.del_cookie(SESSION_COOKIE, path="/console")
    raise response


async def home(request: web.Request) -> web.StreamResponse:
    for role in ("liaison", "supervisor", "evaluator", "admin", "programme"):
        if role in me(request).roles:
            raise web.HTTPFound(FIRST_PAGE[role])
    raise web.HTTPFound("/console/me")


async def enrol_page(request: web.Request) -> web.StreamResponse:
    service = svc(request)
    async with service.db.sessions() as s:
        member = await accounts.enrolment_for(s, request.match_info["token"], service.clock())
    if member is None:
        return render(request, "page.html", status=404, heading=_("This link is not valid"),
                      lines=[_("Ask an administrator for a new one.")], table=None)
    secret = pyotp.random_base32()
    return render(request, "enrol.html", title=_("Set up"), member=member, secret=secret,
                  qr=accounts.qr_svg(accounts.provisioning_uri(member, secret)),
                  totp_required=service.settings.totp_required)


async def enrol(request: web.Request) -> web.StreamResponse:
    service = svc(request)
    form = await request.post()
    now = service.clock()
    async with service.db.transaction() as s:
        member = await accounts.enrolment_for(s, request.match_info["token"], now)
        if member is None:
            raise web.HTTPNotFound(text="this link is not valid")
        secret = str(form.get("secret", ""))
        try:
            await accounts.complete_enrolment(s, member, str(form.get("password", "")), secret,
                                              str(form.get("code", "")), now,
                                              totp_required=service.settings.totp_required,
                                              hasher=service.pin_hasher)
        except accounts.StaffError as exc:
            return render(request, "enrol.html", status=400, title=_("Set up"), member=member, secret=secret,
                          qr=accounts.qr_svg(accounts.provisioning_uri(member, secret)),
                          totp_required=service.settings.totp_required, flash=_(str(exc)), flash_kind="error")
    raise see_other("/console/sign-in", _("Your account is ready: sign in."))


HANDLERS = {
    ("GET", "/console/sign-in"): sign_in_page,
    ("POST", "/console/sign-in"): sign_in,
    ("GET", "/console/enrol/{token}"): enrol_page,
    ("POST", "/console/enrol/{token}"): enrol,
    ("POST", "/console/sign-out"): sign_out,
    ("GET", "/console"): home,
}
