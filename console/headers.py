"""Security headers on every response, and a Content-Security-Policy on every console page.

The console runs no inline script and no inline style (both are static files, console/static):
the policy allows scripts, styles and fetches from this origin only, images from here or `data:`
(the evaluation report's charts), never a frame (`frame-ancestors 'none'`), never a plug-in, and
forms that post only here. A page with an inline style of its own (the evaluation report, written
as one self-contained file) names each block by its hash: `policy(inline_style_hashes(html))`.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Awaitable, Callable, Iterable

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
CSP = "Content-Security-Policy"
EVERYWHERE = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
_STYLE = re.compile(r"<style>(.*?)</style>", re.S)


def policy(style_hashes: Iterable[str] = ()) -> str:
    styles = " ".join(["'self'", *(f"'{h}'" for h in style_hashes)])
    return ("default-src 'none'; script-src 'self'; style-src " + styles + "; img-src 'self' data:; "
            "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def inline_style_hashes(html: str) -> list[str]:
    """The CSP hash of each <style> block of a page."""
    return ["sha256-" + base64.b64encode(hashlib.sha256(m.group(1).encode()).digest()).decode()
            for m in _STYLE.finditer(html)]


def _apply(request: web.Request, response: web.StreamResponse) -> None:
    if response.prepared:  # a stream (live queue updates) has sent its headers already: set before
        return
    for name, value in EVERYWHERE.items():
        response.headers.setdefault(name, value)
    if request.path.startswith("/console"):
        response.headers.setdefault(CSP, policy())


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        _apply(request, exc)
        raise
    _apply(request, response)
    return response


def prepare_stream(request: web.Request, response: web.StreamResponse) -> None:
    """For a response prepared inside its handler (a stream): the same headers, set before it starts."""
    _apply(request, response)
