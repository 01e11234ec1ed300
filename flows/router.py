"""Which flow handles an input in which state: the one entry point of the conversation logic.

Order of precedence, so the safety exits always work:
  1. stop (any state, any channel; the carriers' list on SMS)
  2. stopped/declined: only start, help and the emergency numbers mean anything
  3. help, emergency numbers, quick exit (any state, onboarding included)
  4. onboarding: the onboarding, consent and PIN-setup steps
  5. a half-finished flow older than FLOW_TIMEOUT falls back to the cover menu
  6. menu entries (buttons stay pressable later), then the flow she is in; any other button not
     among the options shown last already did its job (a consent answer, a chosen cover) and
     does nothing again: the channel says "already done" (ButtonSpent)
  7. digits the flow did not want, of PIN length: an unlock attempt (so a duress PIN always counts)
  8. anything left: the NLU via flows.fallback.understand
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from content.text import fold
from flows import (
    callback,
    consent,
    danger_check,
    erase,
    fallback,
    info,
    menu,
    onboarding,
    pin,
    route_check,
    settings,
    stop,
)
from flows.common import emergency_say, quick_exit, show_menu
from flows.keywords import digits_only, has_letters, keyword
from flows.state import Turn, finish, goto, is_unlocked, map_number, result, timed_out, to_menu
from flows.types import ButtonSpent, Context, FlowResult, ForgetInbound, Interpret, UserInput

FLOWS: dict[str, ModuleType] = {
    "onboarding": onboarding, "consent": consent, "pin": pin, "menu": menu, "info": info,
    "callback": callback, "settings": settings, "erase": erase, "danger_check": danger_check,
}
ONBOARDING_FLOWS = frozenset({"onboarding", "consent", "pin"})


def route(event: UserInput, state: dict[str, Any] | None, ctx: Context) -> FlowResult:
    """The reply to one input from an enrolled survivor (strangers go to onboarding.begin)."""
    st = dict(state or {})
    stale = ctx.stale_button and event.button is not None and not always_pressable(event.button)
    if event.button is not None and (stale or spent(event.button, st)):
        return FlowResult(st, [], [ButtonSpent()])  # state untouched: her numbered options stay valid
    choice = event.button or map_number(st, event.text)
    turn = Turn(event, choice, None if event.button else event.text)
    res = _route(turn, st, ctx)
    if _pin_like(turn.text) and not any(isinstance(e, ForgetInbound) for e in res.effects):
        res.effects.append(ForgetInbound())  # could be her PIN, whatever state it arrived in
    if any(isinstance(e, Interpret) for e in res.effects):
        return res  # the engine asks the NLU and routes again; nothing of this is kept
    return finish(res, ctx)


def _route(turn: Turn, st: dict[str, Any], ctx: Context) -> FlowResult:
    assert ctx.profile is not None, "route() is for enrolled survivors"
    status, choice = ctx.profile.status, turn.choice
    word = keyword(turn.text, ctx.channel) if choice is None else None
    if word is None and choice is None and st.get("exit_word") and fold(turn.text) == st["exit_word"]:
        word = "exit"  # the quick-exit word she chose herself
    if word == "stop" or choice == "menu:stop":
        return stop.stop(st, ctx)
    if ctx.danger and choice is None:
        return fallback.danger(st, ctx)  # before anything else, in any state, stopped included
    if status in ("stopped", "declined"):
        if word == "start" or choice == "start":
            return stop.start(st, ctx)
        if word == "help":
            return stop.help_reply(st, ctx)
        if word == "numbers" or choice == "menu:numbers":
            return stop.numbers_anywhere(st, ctx)
        return stop.while_stopped(st, ctx)
    if word == "help":
        return stop.help_reply(st, ctx)
    if word == "numbers" or choice == "menu:numbers":
        if status == "onboarding":
            return stop.numbers_anywhere(st, ctx)
        return result(to_menu(st), emergency_say(ctx))
    if word == "exit" or choice == "menu:exit":
        return quick_exit(st, ctx)
    if status == "onboarding":
        return _onboarding(turn, word, st, ctx)
    rechecked = route_check.handle(choice, st, ctx)
    if rechecked is not None:
        return rechecked
    if timed_out(st, ctx.now):
        st = to_menu(st)
    if word in ("start", "menu"):
        return show_menu(st, ctx)
    if choice and choice.startswith("menu:"):
        selected = menu.select(choice, st, ctx)
        if selected is not None:
            return selected
    flow = st.get("flow")
    if _needs_unlock(st) and not is_unlocked(st, ctx.now):
        target = "menu:settings" if flow == "pin" else f"menu:{flow}"
        return pin.ask_unlock(to_menu(st), ctx, then=target)
    module = FLOWS.get(flow or "menu", menu)
    if flow in ONBOARDING_FLOWS - {"pin"}:  # left over from before she finished: not meaningful now
        module, st = menu, to_menu(st)
    handled = module.handle(turn, st, ctx)
    if handled is None and _pin_like(turn.text) and ctx.profile.has_pin:
        # a PIN typed without asking first (likely when someone makes her open the chat): an
        # unlock attempt like any other, so a duress PIN is never just "not understood"
        handled = pin.handle(turn, goto(st, "pin", "unlock", then="menu:main"), ctx)
    return handled if handled is not None else _fallback(turn, st, ctx, module)


ALWAYS_PRESSABLE = ("menu:", "route:", "wave:", "cq:")  # the menu, and messages we start ourselves


def always_pressable(payload: str) -> bool:
    return payload == "start" or payload.startswith(ALWAYS_PRESSABLE)


def spent(payload: str, state: dict[str, Any]) -> bool:
    """A button from an earlier message whose question was answered (not among the options the
    flows showed last). Only once the state records what was shown. The engine also tells the
    router when the pressed message is not the latest with buttons (`Context.stale_button`): the
    same "Yes" on question 1 must not answer question 2."""
    if "options" not in state or payload in (state.get("options") or []):
        return False
    return not always_pressable(payload)


def _pin_like(text: str | None) -> bool:
    digits = digits_only(text)
    return digits is not None and pin.MIN_LENGTH <= len(digits) <= pin.MAX_LENGTH


def _needs_unlock(st: dict[str, Any]) -> bool:
    flow = st.get("flow")
    if flow == "pin":
        return (st.get("data") or {}).get("purpose") == "settings"
    return flow in menu.GATED_FLOWS


def _onboarding(turn: Turn, word: str | None, st: dict[str, Any], ctx: Context) -> FlowResult:
    flow = st.get("flow")
    if flow not in ONBOARDING_FLOWS:
        st, flow = goto(st, "onboarding", "warning"), "onboarding"
    module = FLOWS[flow or "onboarding"]
    if word in ("start", "menu"):
        return FlowResult(st, module.prompt(st, ctx))
    handled = module.handle(turn, st, ctx)
    return handled if handled is not None else _fallback(turn, st, ctx, module)


def _fallback(turn: Turn, st: dict[str, Any], ctx: Context, module: ModuleType) -> FlowResult:
    """Not understood here: free text (with letters: never a PIN) goes to the NLU first."""
    if has_letters(turn.text) and not ctx.interpreted:
        return FlowResult(st, [], [Interpret(turn.text or "")])
    return fallback.understand(ctx.intent, st, ctx, module.prompt(st, ctx))
