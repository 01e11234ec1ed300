"""The one input layer: ids and text that arrive in paths, queries and forms are checked here before
any handler or the database sees them, so a hostile value is a 404 or a 400, never a database error.

- Anywhere in the service: a NUL byte in the path or the query, or a query value over `MAX_QUERY`
  characters -> 400 (PostgreSQL refuses NUL in text; nothing we serve needs a longer query).
- A console route's path parameters: `{id}` is a decimal within PostgreSQL's INTEGER range, anything
  else names no record -> 404; `{pseudonym}` and `{token}` are short printable words -> 404.
- A console form: a NUL in any field -> 400; `form_id` reads an id field within the same range.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MAX_ID = 2**31 - 1  # PostgreSQL INTEGER; SQLite would take more, but the same answer on both
MAX_QUERY = 512
MAX_WORD = {"pseudonym": 64, "token": 128}
_DIGITS = re.compile(r"[0-9]{1,10}")
_WORD = re.compile(r"[A-Za-z0-9_\-]+")


def as_id(value: str) -> int | None:
    """A record id as the database can hold it, or None."""
    if not _DIGITS.fullmatch(value):
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ID else None


def path_id(request: web.Request, name: str = "id") -> int:
    """The route's `{id}` (the guard checked it already; 404 otherwise)."""
    number = as_id(request.match_info.get(name, ""))
    if number is None:
        raise web.HTTPNotFound(text="no such record")
    return number


def form_id(form: Mapping[str, object], name: str) -> int | None:
    value = form.get(name)
    return as_id(value) if isinstance(value, str) else None


def check_path_params(match_info: Mapping[str, str]) -> None:
    """404 for a path parameter that cannot name anything we hold."""
    for name, value in match_info.items():
        if name == "id":
            ok = as_id(value) is not None
        elif name in MAX_WORD:
            ok = len(value) <= MAX_WORD[name] and bool(_WORD.fullmatch(value))
        else:
            ok = "\x00" not in value and len(value) <= MAX_QUERY
        if not ok:
            raise web.HTTPNotFound(text="no such record")


def check_form(form: Mapping[str, object]) -> None:
    """400 for a form field holding a NUL (no text we keep may hold one)."""
    for value in form.values():
        if isinstance(value, str) and "\x00" in value:
            raise web.HTTPBadRequest(text="a form field holds a character that is not allowed")


@web.middleware
async def refuse_bad_input(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A NUL in the path or query, or an overlong query value, anywhere in the service -> 400."""
    if "\x00" in request.path or "\x00" in request.query_string or "%00" in request.raw_path:
        raise web.HTTPBadRequest(text="the address holds a character that is not allowed")
    for key, value in request.query.items():
        if "\x00" in key or "\x00" in value or len(value) > MAX_QUERY:
            raise web.HTTPBadRequest(text="a query value is not allowed")
    return await handler(request)
