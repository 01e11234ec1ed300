"""The console's script and style files: the pages hold no inline script or style, so the
Content-Security-Policy (headers.py) can forbid both. Only the files named here are served."""

from __future__ import annotations

from importlib.resources import files

from aiohttp import web

TYPES = {"console.css": "text/css", "queue.js": "text/javascript", "survivor.js": "text/javascript",
         "conversation.js": "text/javascript"}
_CACHE: dict[str, bytes] = {}


async def static_file(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    if name not in TYPES:
        raise web.HTTPNotFound()
    if name not in _CACHE:
        _CACHE[name] = files("console").joinpath("static", name).read_bytes()
    return web.Response(body=_CACHE[name], content_type=TYPES[name], headers={"Cache-Control": "no-cache"})


HANDLERS = {("GET", "/console/static/{name}"): static_file}
