"""Reading a notice: her "1" (or the Read button) under the preview, her PIN, the text, and her
answer, "Got it" or "Ring me". Pure: the engine pre-fetches the notice her input names
(bot/notices/her_side.py), carries out the effects and renders the text (bot/notices/texts.py).

She opens a notice with the Read button under its preview, or by replying "1" while the preview is
the latest thing we sent her (after her last turn); "Got it" and "Ring me" answer it.

The text is explicit, so it is `sensitive`: shown only once she is unlocked (her PIN, through the
PIN flow's `then`, as programme information is), and it expires from the chat. With the cover on,
SMS first warns that a text cannot be taken back from her phone and offers a call instead, as the
information pages do. Her answer needs no PIN: it shows nothing.
"""

from __future__ import annotations

from flows import callback, pin
from flows.common import show_menu
from flows.state import FlowState, is_unlocked, map_number, result, to_menu
from flows.types import Context, FlowResult, NoticeAnswered, NoticeOpened, NoticeView, Option, Say, UserInput
from flows.windows import valid

__all__ = ["NoticeAnswered", "NoticeOpened", "NoticeView", "action_of", "answer_options", "parse", "payload", "step",
           "typed_number"]

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


def newest_unprompted(state: FlowState, ctx: Context) -> tuple[str, int | None] | None:
    """(text key, notice id) of the latest message we sent her unprompted, if it reached her after
    her last turn in the conversation: then a number she types answers it, not the options an
    older reply showed."""
    newest = ctx.unprompted
    if newest is None:
        return None
    touched = state.touched
    if touched is not None and touched > newest.sent_at:
        return None
    return newest.key, newest.notice_id


def typed_number(event: UserInput) -> bool:
    """A typed number: only then can a notice's preview be answered without its button (and only
    then does the engine look up what arrived last)."""
    return event.button is None and (event.text or "").strip().rstrip(".)").isdigit()


def action_of(event: UserInput, state: FlowState, ctx: Context) -> tuple[int, str] | None:
    """(notice id, action) when this input is about a notice of hers, else None: a notice's button;
    "1" when its preview is the newest thing on her screen; a number for the options under it."""
    if event.button is not None:
        return parse(event.button)
    if not typed_number(event):
        return None  # words are never a notice's answer (and cost no look-up)
    number = (event.text or "").strip().rstrip(".)")
    newest = newest_unprompted(state, ctx)
    if newest is not None:  # a number answers what arrived last, whatever the menu showed before
        key, notice_id = newest
        if key != PREVIEW_KEY or number != "1" or notice_id is None:
            return None
        return notice_id, "open"
    return parse(map_number(state, event.text))


def answer_options(notice_id: int) -> tuple[Option, ...]:
    return (Option(payload(notice_id, "got_it"), "notice.opt_got_it"),
            Option(payload(notice_id, "ring_me"), "notice.opt_ring_me"))


def step(action: str, notice: NoticeView | None, state: FlowState, ctx: Context) -> FlowResult:
    """Her answer to one notice action (`open`, `sms_ok`, `got_it`, `ring_me`)."""
    if notice is None or not notice.readable:
        return show_menu(state, ctx, Say("notice.gone"))
    if action in ("got_it", "ring_me"):
        if notice.answered:
            return result(to_menu(state), Say("common.already_done"))
        if action == "got_it":
            return result(to_menu(state), Say("notice.thanks"), effects=[NoticeAnswered(notice.id, action)])
        return ring_me(notice, state, ctx)
    has_pin = ctx.profile.has_pin if ctx.profile else True
    if has_pin and not is_unlocked(state, ctx.now):
        return pin.ask_unlock(state, ctx, then=payload(notice.id, action))
    plain = ctx.profile.plain_mode if ctx.profile else False
    if action == "open" and not ctx.caps.deletes_messages and not plain:
        options = (Option(payload(notice.id, "sms_ok"), "notice.opt_sms_ok"),
                   Option(payload(notice.id, "ring_me"), "notice.opt_call_instead"))
        return result(to_menu(state), Say("notice.sms_warning", options=options))
    text = Say(TEXT_KEY, {"body": notice.body}, answer_options(notice.id), sensitive=True)
    return result(to_menu(state), text, effects=[NoticeOpened(notice.id)])


def ring_me(notice: NoticeView, state: FlowState, ctx: Context) -> FlowResult:
    """"Ring me": a worker is told at once (the notice's escalation). The reply promises only what is
    recorded: on SMS with her safe times set, the call-back is booked for this number at those times
    and she is told so; otherwise nothing is promised yet: the call-back flow asks when and which
    number (after her PIN if she is locked) and books it when she confirms."""
    windows = [w for w in (ctx.profile.contact_windows if ctx.profile else []) if valid(w)]
    if ctx.caps.phone_address and windows:
        return result(to_menu(state), Say("notice.ring_noted"),
                      effects=[NoticeAnswered(notice.id, "ring_me", book_callback=True)])
    answered = NoticeAnswered(notice.id, "ring_me")
    if is_unlocked(state, ctx.now) or not (ctx.profile.has_pin if ctx.profile else True):
        asked = callback.start(to_menu(state), ctx)
    else:
        asked = pin.ask_unlock(to_menu(state), ctx, then="menu:callback")
    return FlowResult(asked.state, [Say("notice.ring_asked"), *asked.says], [answered, *asked.effects],
                      handoff=asked.handoff)
