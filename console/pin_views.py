"""Her second (duress) PIN, set with her worker during a call, on her page.

Why here and not by text: an SMS thread stays on her phone, and he may read all of it. A second PIN
chosen there would sit in the thread beside the message that explains it, so whoever reads the
thread learns both PINs and which is which, and the duress PIN is worthless (docs/DESIGN.md, the
threat model). So on a channel that cannot take messages off her screen the conversation never
mentions a second PIN (flows/pin.py): her worker explains it on the phone, she says the digits,
the worker types them here twice. On Telegram she may also choose it in the chat, where every
message about it expires.

Liaison workers and supervisors only (console/permissions.py); audited without the digits;
stored hashed (argon2id) like her PIN; checked as when she chooses it herself (4 to 8 digits,
nothing easy to guess, not her PIN).
"""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import select

from bot.storage.audit import audit
from bot.storage.models import Survivor
from console.pages import me, see_other, svc
from console.texts import _
from flows.pin import MAX_LENGTH, MIN_LENGTH, acceptable

FIELDS = ("duress_pin", "duress_pin_again")


def problem(first: str, again: str, same_as_pin: bool) -> str | None:
    """Why these digits cannot be her second PIN, in the worker's words (None: they can)."""
    if not acceptable(first):
        return f"use {MIN_LENGTH} to {MAX_LENGTH} digits, nothing easy to guess like 1111 or 1234"
    if first != again:
        return "the two entries differ"
    if same_as_pin:
        return "that is her PIN: the second PIN must differ from it"
    return None


async def set_duress_pin(request: web.Request) -> web.StreamResponse:
    service = svc(request)
    form = await request.post()
    first, again = (str(form.get(name, "")).strip() for name in FIELDS)
    pseudonym = request.match_info["pseudonym"]
    page = f"/console/survivors/{pseudonym}"
    async with service.db.transaction() as s:
        survivor = await s.scalar(select(Survivor).where(Survivor.pseudonym == pseudonym).with_for_update())
        if survivor is None or survivor.status == "erased":
            raise web.HTTPNotFound(text="no such person")
        hasher = service.pin_hasher
        same_as_pin = survivor.pin_hash is not None and hasher.matches(survivor.pin_hash, first)
        found = problem(first, again, same_as_pin)
        if found is not None:
            raise see_other(page, _("Second PIN not set: {why}.", why=_(found)), "error")
        replaced = survivor.duress_pin_hash is not None
        survivor.duress_pin_hash = hasher.hash(first)
        audit(s, f"staff:{me(request).id}", "survivor.duress_pin_set", survivor=pseudonym, now=service.clock(),
              replaced=replaced)
    raise see_other(page, _("Her second PIN is set. Tell her it answers like a mistyped PIN and quietly alerts us."))


HANDLERS = {
    ("POST", "/console/survivors/{pseudonym}/duress-pin"): set_duress_pin,
}
