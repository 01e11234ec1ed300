"""The menu and what its entries open.

Emergency numbers, quick exit and stop never need the PIN. Programme information, call-back,
settings and delete-my-data do: they reveal or change what the cover hides, so while she is
locked they ask for the PIN first (and after a wrong or duress PIN she sees the cover menu).
"""

from __future__ import annotations

from collections.abc import Callable

from flows import callback, erase, info, settings, stop
from flows.common import emergency_say, quick_exit, show_menu
from flows.pin_gate import ask_unlock
from flows.state import FlowState, Turn, is_unlocked, result, to_menu
from flows.types import Context, FlowResult, Say

GATED: dict[str, Callable[[FlowState, Context], FlowResult]] = {
    "menu:info": info.start,
    "menu:callback": callback.start,
    "menu:settings": settings.start,
    "menu:erase": erase.start,
}
GATED_FLOWS = frozenset({"info", "callback", "settings", "erase"})


def select(payload: str, state: FlowState, ctx: Context) -> FlowResult | None:
    """A menu entry chosen from any state (old buttons stay pressable on Telegram)."""
    if payload == "menu:main":
        return show_menu(state, ctx)
    if payload == "menu:numbers":
        return result(to_menu(state), emergency_say(ctx))
    if payload == "menu:exit":
        return quick_exit(state, ctx)
    if payload == "menu:stop":
        return stop.stop(state, ctx)
    if payload in GATED:
        if is_unlocked(state, ctx.now):
            return open_unlocked(payload, state, ctx)
        return ask_unlock(state, ctx, then=payload)  # her PIN's success opens it (flows/rules.py)
    return None


def open_unlocked(payload: str, state: FlowState, ctx: Context) -> FlowResult:
    opener = GATED.get(payload)
    return opener(state, ctx) if opener else show_menu(state, ctx)


def handle(turn: Turn, state: FlowState, ctx: Context) -> FlowResult | None:
    """In the menu itself only its entries mean something; anything else is for the fallback."""
    if turn.choice and turn.choice.startswith("menu:"):
        return select(turn.choice, state, ctx)
    return None


def prompt(state: FlowState, ctx: Context) -> list[Say]:
    return show_menu(state, ctx).says
