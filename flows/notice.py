"""Reading a notice: her "1" (or the Read button) under the preview, her PIN, the text, and her
answer, "Got it" or "Ring me". Pure: the engine (bot/notices/her_side.py) looks the notice up,
carries out the effects and renders the text (bot/notices/texts.py).

The text is explicit, so it is `sensitive`: shown only once she is unlocked (her PIN, through the
PIN flow's `then`, as programme information is), and it expires from the chat. With the cover on,
SMS first warns that a text cannot be taken back from her phone and offers a call instead, as the
information pages do. Her answer needs no PIN: it shows nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flows import pin
from flows.common import show_menu
from flows.state import is_unlocked, result, to_menu
from flows.types import Context, FlowResult, Option, Say

PREFIX = "notice:"
ACTIONS = ("open", "sms_ok", "got_it", "ring_me")
PREVIEW_KEY = "notice.preview"
TEXT_KEY = "notice.text"


def payload(notice_id: int, action: str) -> str:
    return f"{PREFIX}{notice_id}:{action}"


def parse(value: object) -> tuple[int, str] | None:
    """(notice id, action) of a notice button's payload, else None."""
    if not isinstance(value, str) or not value.startswith(PREFIX):
        return None
    parts = value.split(":")
    if len(parts) != 3 or not parts[1].isdigit() or parts[2] not in ACTIONS:
        return None
    return int(parts[1]), parts[2]


@dataclass(frozen=True)
class NoticeView:
    """What the flow may know of one notice of hers."""

    id: int
    readable: bool  # it reached her and was not withdrawn
    body: str
    answered: str | None = None  # got_it / ring_me


@dataclass(frozen=True)
class NoticeOpened:
    notice_id: int


@dataclass(frozen=True)
class NoticeAnswered:
    notice_id: int
    response: str  # got_it / ring_me


def answer_options(notice_id: int) -> tuple[Option, ...]:
    return (Option(payload(notice_id, "got_it"), "notice.opt_got_it"),
            Option(payload(notice_id, "ring_me"), "notice.opt_ring_me"))


def step(action: str, notice: NoticeView | None, state: dict[str, Any], ctx: Context) -> FlowResult:
    """Her answer to one notice action (`open`, `sms_ok`, `got_it`, `ring_me`)."""
    if notice is None or not notice.readable:
        return show_menu(state, ctx, Say("notice.gone"))
    if action in ("got_it", "ring_me"):
        if notice.answered:
            return result(to_menu(state), Say("common.already_done"))
        key = "notice.thanks" if action == "got_it" else "notice.ring_noted"
        return result(to_menu(state), Say(key), effects=[NoticeAnswered(notice.id, action)])
    has_pin = ctx.profile.has_pin if ctx.profile else True
    if has_pin and not is_unlocked(state, ctx.now):
        return pin.ask_unlock(state, ctx, then=payload(notice.id, action))
    plain = ctx.profile.plain_mode if ctx.profile else False
    if action == "open" and ctx.channel == "sms" and not plain:
        options = (Option(payload(notice.id, "sms_ok"), "notice.opt_sms_ok"),
                   Option(payload(notice.id, "ring_me"), "notice.opt_call_instead"))
        return result(to_menu(state), Say("notice.sms_warning", options=options))
    text = Say(TEXT_KEY, {"body": notice.body}, answer_options(notice.id), sensitive=True)
    return result(to_menu(state), text, effects=[NoticeOpened(notice.id)])
