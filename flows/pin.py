"""PIN and duress PIN: unlocking sensitive content, and choosing or changing either PIN.

What she sees never tells a duress PIN from a wrong one: both show the cover menu with the same
line and both count towards the wrong-PIN limit (otherwise endless "wrong" tries that never lock
would give the duress PIN away). The duress PIN silently raises an urgent escalation, even while
PIN entry is locked. The lock never hides the emergency numbers: the cover menu always offers them.
Every message holding digits at a PIN prompt is forgotten (not stored, deleted where possible).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from flows.keywords import digits_only
from flows.pin_gate import BACK_TO_MENU, cover_menu
from flows.pin_gate import ask_unlock as ask_unlock  # the gate, asked through this flow by its callers
from flows.pin_gate import locked_out as locked_out
from flows.state import FlowState, PinData, Turn, data_as, goto, result, to_menu
from flows.types import Context, FlowResult, ForgetInbound, Handoff, Option, RaiseEscalation, Say, SetPin

MIN_LENGTH, MAX_LENGTH = 4, 8
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
BACK_TO_SETTINGS = Option("menu:settings", "common.back")


def prompt(state: FlowState, ctx: Context) -> list[Say]:
    if state.step == "unlock":
        return [Say("pin.ask", options=(BACK_TO_MENU,))]
    return [_choose_say(data_as(state, PinData))]


def handle(turn: Turn, state: FlowState, ctx: Context) -> FlowResult | None:
    if state.step == "unlock":
        return _unlock(turn, state, ctx)
    return _setup(turn, state, ctx)


def _unlock(turn: Turn, state: FlowState, ctx: Context) -> FlowResult | None:
    pin = digits_only(turn.text)
    if pin is None or ctx.pins is None:
        return None
    effects: list[Any] = [ForgetInbound()]
    match = ctx.pins.check(pin)
    if match == "duress":
        effects.append(RaiseEscalation("urgent", "duress_pin"))
    st = to_menu(state)
    if locked_out(state, ctx):
        return result(st, *cover_menu(st, ctx, "pin.locked"), effects=effects)
    if match == "pin":
        minutes = ctx.profile.unlock_minutes if ctx.profile else 10
        st = st.but(pin_failures=0, pin_locked_until=None, unlocked_until=ctx.now + timedelta(minutes=minutes))
        # what she asked to open (a menu entry, a notice, her check-in): the router opens it
        return FlowResult(st, [], effects, handoff=Handoff("unlocked", data_as(state, PinData).then or "menu:main"))
    failures = st.pin_failures + 1
    if failures >= MAX_FAILURES:
        st = st.but(pin_failures=0, pin_locked_until=ctx.now + LOCKOUT)
        effects.append(RaiseEscalation("routine", "pin_lockout"))
        return result(st, *cover_menu(st, ctx, "pin.locked"), effects=effects)
    st = st.but(pin_failures=failures)
    return result(st, *cover_menu(st, ctx, "pin.not_recognised"), effects=effects)


# -- choosing a PIN -------------------------------------------------------------------------------

def start_setup(state: FlowState, ctx: Context, purpose: Literal["onboarding", "settings"],
                target: Literal["main", "duress"] = "main", main_hash: str | None = None) -> FlowResult:
    """purpose: onboarding (main then duress, no way back) or settings; target: main or duress."""
    info = PinData(purpose=purpose, target=target, main_hash=main_hash)
    return result(goto(state, "pin", "new", info), _choose_say(info))


def _choose_say(info: PinData) -> Say:
    key = "pin.choose_duress" if info.target == "duress" else "pin.choose"
    options = (BACK_TO_SETTINGS,) if info.purpose == "settings" else ()
    return Say(key, {"min": MIN_LENGTH, "max": MAX_LENGTH}, options)


def weak(pin: str) -> bool:
    """All one digit, or a run up or down (1234, 9876): the first guesses anyone tries."""
    if len(set(pin)) == 1:
        return True
    steps = {(int(b) - int(a)) % 10 for a, b in zip(pin, pin[1:], strict=False)}
    return steps in ({1}, {9})


def _setup(turn: Turn, state: FlowState, ctx: Context) -> FlowResult | None:
    pin = digits_only(turn.text)
    if pin is None or ctx.pins is None:
        return None
    info = data_as(state, PinData)
    effects: list[Any] = [ForgetInbound()]
    again = _choose_say(info)
    if state.step == "new":
        if not MIN_LENGTH <= len(pin) <= MAX_LENGTH or weak(pin):
            return result(state, Say("pin.invalid", {"min": MIN_LENGTH, "max": MAX_LENGTH}), again, effects=effects)
        if info.target == "duress":
            main_hash = info.main_hash
            if (main_hash and ctx.pins.matches(main_hash, pin)) or (not main_hash and ctx.pins.check(pin) == "pin"):
                return result(state, Say("pin.duress_same"), again, effects=effects)
        elif info.purpose == "settings" and ctx.pins.check(pin) == "duress":
            return result(state, Say("pin.same_as_duress"), again, effects=effects)
        st = goto(state, "pin", "confirm", info.model_copy(update={"pending": ctx.pins.hash(pin)}))
        return result(st, Say("pin.confirm"), effects=effects)
    pending = info.pending
    if not pending or not ctx.pins.matches(pending, pin):
        st = goto(state, "pin", "new", info.model_copy(update={"pending": None}))
        return result(st, Say("pin.mismatch"), again, effects=effects)
    duress = info.target == "duress"
    effects.append(SetPin(pending, duress=duress))
    if info.purpose == "onboarding":
        if not duress:
            res = start_setup(state, ctx, "onboarding", "duress", main_hash=pending)
            return FlowResult(res.state, [Say("pin.saved"), *res.says], effects)
        return FlowResult(state, [Say("pin.duress_saved")], effects, handoff=Handoff("after_pin"))
    return FlowResult(state, [Say("pin.duress_saved" if duress else "pin.saved")], effects,
                      handoff=Handoff("settings"))
