"""/healthz: database reachable, channels up, outbox backlog and problems (counts only)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web
from sqlalchemy import func, select, text

from bot.storage.models import OutboundMessage

if TYPE_CHECKING:
    from bot.web.host import WebHost


def health_routes(service: WebHost) -> list[web.RouteDef]:
    async def healthz(_request: web.Request) -> web.Response:
        body: dict[str, object] = {}
        ok = True
        try:
            async with service.db.sessions() as s:
                await s.execute(text("SELECT 1"))
                counts = {status: n for status, n in (await s.execute(
                    select(OutboundMessage.status, func.count()).group_by(OutboundMessage.status)
                )).all()}
            body["database"] = {"ok": True, "backend": "sqlite" if service.db.is_sqlite else "postgresql"}
            body["outbox"] = counts
        except Exception as exc:
            ok = False
            body["database"] = {"ok": False, "error": type(exc).__name__}
        channels = {}
        for channel in service.channels.values():
            st = await channel.status()
            channels[st.name] = {"ok": st.ok, "detail": st.detail, **st.extra}
            ok = ok and st.ok
        body["channels"] = channels
        if not channels:
            ok, body["problem"] = False, "no channel is on"
        if service.problems:  # a wrong key file, a refused production set-up: never "ok"
            ok = False
            body["problems"] = list(service.problems)
        body["ok"] = ok
        return web.json_response(body, status=200 if ok else 503)

    return [web.get("/healthz", healthz)]
