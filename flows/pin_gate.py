"""The PIN gate: before anything the cover hides, ask for her PIN (flows/pin.py reads the answer).

Apart from the PIN flow so the menu, notices and the router can ask without importing the flows
that the PIN's success opens (the router opens those: flows/rules.py, `resolve`).
"""

from __future__ import annotations

from flows.common import for_channel, menu_say, with_lead
from flows.state import FlowState, PinData, goto, result, to_menu
from flows.types import Context, FlowResult, Option, Say

BACK_TO_MENU = Option("menu:main", "common.back_to_menu")


def locked_out(state: FlowState, ctx: Context) -> bool:
    until = state.pin_locked_until
    return until is not None and until > ctx.now


def cover_menu(state: FlowState, ctx: Context, key: str) -> list[Say]:
    return [with_lead(key, menu_say(state, ctx, "menu.cover"))]


def ask_say(ctx: Context) -> Say:
    """"Please send your PIN": never which one (a duress PIN is sent at the same prompt); where her
    message stays on her phone, she is asked to delete it."""
    return Say(for_channel("pin.ask", ctx), options=(BACK_TO_MENU,))


def ask_unlock(state: FlowState, ctx: Context, then: str) -> FlowResult:
    """Ask for her PIN before `then` (a menu entry, a notice, her check-in); while locked out, the
    cover menu instead."""
    if locked_out(state, ctx):
        st = to_menu(state)
        return result(st, *cover_menu(st, ctx, "pin.locked"))
    return result(goto(state, "pin", "unlock", PinData(then=then)), ask_say(ctx))
