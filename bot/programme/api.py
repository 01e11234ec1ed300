"""POST /api/programme-events: a programme's case system sends one event, with its site's token.

    Authorization: Bearer plt_...
    {"event_id": "evt-0042", "case_ref": "DV-2026-117", "kind": "excluded",
     "reason_class": "violence_threat", "occurred_on": "2026-03-09", "detail": "..."}

201 {"id": ..., "event_id": ..., "replay": false} for a new event; 200 with the same id for a replay
(same site and event_id: nothing changes). Errors are JSON, `{"error": code, "message": ...}`:
401 no or unknown token, 403 revoked token or another site's, 413 body over the limit, 422 not an
event (`errors` names each field), 429 too many requests for this token (Retry-After). The answer
never says whether the case is linked to anyone: the programme's side does not learn that.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.logs import log_event
from bot.outbox.ratelimit import KeyedBuckets
from bot.programme.answer_floor import mark_programme_side
from bot.programme.intake import receive
from bot.programme.tokens import check_token
from bot.programme.validation import FieldError, validate_event
from bot.request_bodies import BadBody, json_body
from content.programme_events import default_kinds

if TYPE_CHECKING:
    from bot.web.host import WebHost

PATH = "/api/programme-events"
NO_STORE = {"Cache-Control": "no-store"}


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None,
           **extra: Any) -> web.Response:
    return web.json_response({"error": code, "message": message, **extra}, status=status,
                             headers={**NO_STORE, **(headers or {})})


def _invalid(errors: list[FieldError]) -> web.Response:
    return _error(422, "invalid", "the event was not accepted; see errors",
                  errors=[{"field": e.field, "message": e.message} for e in errors])


def _bearer(request: web.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def programme_api_routes(service: WebHost) -> list[web.RouteDef]:
    settings = service.settings
    # per token, on the service clock (a test clock that stands still refills nothing)
    buckets = KeyedBuckets(settings.programme_api_rate_per_minute / 60.0, settings.programme_api_burst,
                           monotonic=lambda: service.clock().timestamp())
    unauthorized = {"WWW-Authenticate": 'Bearer realm="programme-events"'}

    async def post_event(request: web.Request) -> web.StreamResponse:
        mark_programme_side(request)  # every answer here leaves at the floor (bot/programme/answer_floor.py)
        presented = _bearer(request)
        if presented is None:
            return _error(401, "unauthorized", "send the site's token as 'Authorization: Bearer <token>'",
                          unauthorized)
        async with service.db.transaction() as s:
            found = await check_token(s, presented, service.clock())
        token = found.token
        if token is None:
            return _error(401, "unauthorized", "this token is not known", unauthorized)
        if not found.valid:
            return _error(403, "revoked", "this token was revoked; ask for a new one")
        wait = buckets.try_take(str(token.id), service.clock().timestamp())
        if wait > 0:
            log_event("programme_api.rate_limited", token_id=token.id)
            return _error(429, "rate_limited", "too many requests for this token; try again later",
                          {"Retry-After": str(max(1, math.ceil(wait)))})
        body = await json_body(request, settings.programme_api_max_body)  # bot/request_bodies.py
        if isinstance(body, BadBody):
            if body.status == 413:
                return _error(413, "too_large", f"the body is over {settings.programme_api_max_body} bytes; "
                                                "send one event per request")
            return _invalid([FieldError("body", "is not JSON (UTF-8)")])
        if not isinstance(body, dict):
            return _invalid([FieldError("body", "must be one JSON object: one event")])
        site = body.pop("site", None)
        if site is not None and site != token.site:
            return _error(403, "wrong_site", "this token is for another site")
        checked = validate_event(body, default_kinds(), now=service.clock())
        if isinstance(checked, list):
            return _invalid(checked)
        # stored and answered; matched to her case after (service.settle_later): the answer's time and
        # content are the same whether or not his case is linked to anyone
        got = await receive(service.db, service.keyring, checked, site=token.site, via="api",
                            by=f"site:{token.site}", settle_later=service.settle_later)
        log_event("programme_api.event", token_id=token.id, id=got.id, replay=got.replay)
        return web.json_response({"id": got.id, "event_id": checked.event_id, "kind": got.kind, "replay": got.replay},
                                 status=200 if got.replay else 201, headers=NO_STORE)

    return [web.post(PATH, post_event)]
