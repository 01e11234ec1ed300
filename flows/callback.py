"""Call-back request: safe times, the number it is safe to ring, a confirmation.

She picks one of her contact windows or gives new ones (presets or typed, e.g. "Tue 14-16"), then
confirms the number: on SMS the number she is texting from is one tap and is never copied into
the conversation state. The engine stores the request and raises a routine escalation.
"""

from __future__ import annotations

import re

from flows.common import show_menu
from flows.keywords import yes_no
from flows.state import CallbackData, FlowState, Turn, data_as, goto, result
from flows.types import Context, CreateCallback, FlowResult, ForgetInbound, Option, Say
from flows.windows import PRESETS, Window, parse, valid

BACK = Option("menu:main", "common.back_to_menu")
_PHONE = re.compile(r"^\+?[\d\s\-().]{7,24}$")
TAIL_DIGITS = 3


def normalise_phone(text: str | None) -> str | None:
    """A plausible phone number ("+44 7700 900123", "0170 1234567") in compact form, else None."""
    if not text or not _PHONE.match(text.strip()):
        return None
    digits = re.sub(r"\D", "", text)
    if not 7 <= len(digits) <= 15:
        return None
    return ("+" if text.strip().startswith("+") else "") + digits


def _when_say(ctx: Context) -> Say:
    windows = [w for w in (ctx.profile.contact_windows if ctx.profile else []) if valid(w)]
    mine = tuple(Option(f"win:{i}", "windows.option", {"window": w}) for i, w in enumerate(windows))
    return Say("callback.when", options=(*mine, Option("win:other", "callback.opt_other"), BACK))


def _other_say() -> Say:
    presets = tuple(Option(f"preset:{n}", "windows.option", {"window": w}) for n, w in PRESETS.items())
    return Say("callback.other", options=(*presets, BACK))


def _number_say(ctx: Context) -> Say:
    options = (Option("phone:this", "callback.opt_this_number"),) if ctx.caps.phone_address else ()
    return Say("callback.number", options=(*options, BACK))


def _confirm_say(info: CallbackData) -> Say:
    """Her number is confirmed by its last three digits only: the full number never goes back
    on her screen (it stays in the encrypted state and call-back record)."""
    phone = info.phone
    key = "callback.confirm" if phone else "callback.confirm_this_number"
    options = (Option("yes", "callback.opt_confirm"), Option("cb:number", "callback.opt_change_number"), BACK)
    return Say(key, {"phone_tail": tail(phone), "windows": list(info.windows)}, options)


def tail(phone: str | None) -> str:
    digits = re.sub(r"\D", "", phone or "")
    return digits[-TAIL_DIGITS:]


def start(state: FlowState, ctx: Context) -> FlowResult:
    has_windows = bool(ctx.profile and any(valid(w) for w in ctx.profile.contact_windows))
    if not has_windows:
        return result(goto(state, "callback", "other"), _other_say())
    return result(goto(state, "callback", "when"), _when_say(ctx))


def prompt(state: FlowState, ctx: Context) -> list[Say]:
    step, info = state.step, data_as(state, CallbackData)
    if step == "number":
        return [_number_say(ctx)]
    if step == "confirm":
        return [_confirm_say(info)]
    if step == "other":
        return [_other_say()]
    return [_when_say(ctx)]


def _to_number(state: FlowState, ctx: Context, windows: list[Window]) -> FlowResult:
    return result(goto(state, "callback", "number", CallbackData(windows=tuple(windows))), _number_say(ctx))


def handle(turn: Turn, state: FlowState, ctx: Context) -> FlowResult | None:
    step, info, choice = state.step, data_as(state, CallbackData), turn.choice or ""
    if step == "when":
        windows = [w for w in (ctx.profile.contact_windows if ctx.profile else []) if valid(w)]
        if choice == "win:other":
            return result(goto(state, "callback", "other"), _other_say())
        if choice.startswith("win:") and choice[4:].isdigit() and int(choice[4:]) < len(windows):
            return _to_number(state, ctx, [windows[int(choice[4:])]])
        typed = parse(turn.text)
        return _to_number(state, ctx, [typed]) if typed else None
    if step == "other":
        name = choice.removeprefix("preset:")
        if choice.startswith("preset:") and name in PRESETS:
            return _to_number(state, ctx, [PRESETS[name]])
        typed = parse(turn.text)
        if typed:
            return _to_number(state, ctx, [typed])
        return None
    if step == "number":
        if choice == "phone:this" and ctx.caps.phone_address:
            confirm = info.model_copy(update={"phone": None})
            return result(goto(state, "callback", "confirm", confirm), _confirm_say(confirm))
        phone = normalise_phone(turn.text)
        if phone is None:
            if turn.text and any(c.isdigit() for c in turn.text):
                # it may still be (most of) her number: forgotten and deleted like a valid one
                return result(state, Say("callback.bad_number"), _number_say(ctx), effects=[ForgetInbound()])
            return None
        confirm = info.model_copy(update={"phone": phone})
        return result(goto(state, "callback", "confirm", confirm), _confirm_say(confirm),
                      effects=[ForgetInbound()])  # her number: not kept in clear, deleted from her chat
    if step == "confirm":
        if choice == "cb:number":
            return _to_number(state, ctx, list(info.windows))
        if choice == "yes" or yes_no(turn.text) == "yes":
            windows = [w for w in info.windows if valid(w)]
            res = show_menu(state, ctx, Say("callback.done"))
            return type(res)(res.state, res.says, [CreateCallback(windows, info.phone)])
        if yes_no(turn.text) == "no":
            return _to_number(state, ctx, list(info.windows))
    return None
