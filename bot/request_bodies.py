"""Reading a request body at a webhook: size, encoding and nesting depth are checked before the body
is parsed, authenticated or looked at in any other way.

A body that breaks a limit is the sender's mistake (or an attack) and gets a 4xx. A 5xx would be worse
than wrong: Twilio and Telegram answer it by delivering the same body again and again. Examples that
once gave 500: a form whose bytes are not UTF-8 (aiohttp decodes the form strictly, before any
signature could be checked) and 50,000 nested `[` (the JSON decoder's RecursionError).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from multidict import MultiDict

MAX_BODY_BYTES = 256 * 1024  # what the web app accepts at all (bot/service.py: client_max_size)
MAX_DEPTH = 32  # a Telegram update nests about 8 deep (a reply's keyboard); nothing we accept more


@dataclass(frozen=True)
class BadBody:
    """Why a body was refused, and with which status (413 too large, 400 otherwise)."""

    status: int
    reason: str


async def read_limited(request: web.Request, limit: int = MAX_BODY_BYTES) -> bytes | BadBody:
    """The raw body, read no further than `limit` bytes."""
    if request.content_length is not None and request.content_length > limit:
        return BadBody(413, f"body over {limit} bytes")
    data = await request.content.read(limit + 1)
    return BadBody(413, f"body over {limit} bytes") if len(data) > limit else data


def nesting_depth(text: str, stop_at: int = MAX_DEPTH) -> int:
    """How deep `[` and `{` nest in a JSON text (outside strings); stops counting past `stop_at`."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > stop_at:
                    return deepest
        elif ch in "]}":
            depth -= 1
    return deepest


def parse_json(raw: bytes, max_depth: int = MAX_DEPTH) -> Any | BadBody:
    """The JSON value in `raw` (UTF-8, nested at most `max_depth`), or why not."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return BadBody(400, "body is not UTF-8")
    if nesting_depth(text, max_depth) > max_depth:
        return BadBody(400, f"JSON nested deeper than {max_depth}")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return BadBody(400, "body must be JSON")


async def json_body(request: web.Request, limit: int = MAX_BODY_BYTES,
                    max_depth: int = MAX_DEPTH) -> Any | BadBody:
    raw = await read_limited(request, limit)
    return raw if isinstance(raw, BadBody) else parse_json(raw, max_depth)


def parse_form(raw: bytes) -> MultiDict[str] | BadBody:
    """The fields of an application/x-www-form-urlencoded body whose bytes are UTF-8. A percent-escape
    that is not UTF-8 (`%FF`) becomes U+FFFD, as aiohttp decodes it: her words are kept, marked repaired."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return BadBody(400, "body is not UTF-8")
    try:
        pairs = parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="replace",
                          max_num_fields=200)
    except ValueError:
        return BadBody(400, "too many form fields")
    return MultiDict(pairs)


async def form_body(request: web.Request, limit: int = MAX_BODY_BYTES) -> MultiDict[str] | BadBody:
    if request.content_type != "application/x-www-form-urlencoded":
        return BadBody(415, "body must be application/x-www-form-urlencoded")
    raw = await read_limited(request, limit)
    return raw if isinstance(raw, BadBody) else parse_form(raw)
