"""PIN and duress PIN: unlocking sensitive content, and choosing or changing either PIN.

What she sees never tells a duress PIN from a wrong one: both show the cover menu with the same
line and both count towards the wrong-PIN limit (otherwise endless "wrong" tries that never lock
would give the duress PIN away). The duress PIN silently raises an urgent escalation, even while
PIN entry is locked. The lock never hides the emergency numbers: the cover menu always offers them.
Every message holding digits at a PIN prompt is forgotten (not stored, deleted where possible).

Where every message stays on her phone (SMS: the channel's `deletes_messages` capability), whoever reads
her thread must not learn which digits do what: only her PIN is chosen by text, asked without
naming another, and she is asked to delete her messages with it; the duress PIN is set with her
worker during a call, on her console page (console/pin_views.py), and never mentioned in the
thread. On a chat app the duress PIN is chosen here, and every message that speaks of it expires
from the chat like her private pages (`sensitive`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from flows.common import for_channel
from flows.keywords import digits_only
from flows.pin_gate import ask_say, cover_menu
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
        return [ask_say(ctx)]
    return [_choose_say(data_as(state, PinData), ctx)]


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

def duress_by_text(ctx: Context) -> bool:
    """Is the duress PIN chosen in this conversation? Only where her messages with it, and ours
    about it, can be taken off her screen; elsewhere her worker sets it with her during a call."""
    return ctx.caps.deletes_messages


def start_setup(state: FlowState, ctx: Context, purpose: Literal["onboarding", "settings"],
                target: Literal["main", "duress"] = "main", main_hash: str | None = None) -> FlowResult:
    """purpose: onboarding (main, then duress where chosen by text; no way back) or settings;
    target: main or duress (duress only where `duress_by_text`)."""
    if target == "duress" and not duress_by_text(ctx):
        target = "main"
    info = PinData(purpose=purpose, target=target, main_hash=main_hash)
    return result(goto(state, "pin", "new", info), _choose_say(info, ctx))


def _choose_say(info: PinData, ctx: Context) -> Say:
    options = (BACK_TO_SETTINGS,) if info.purpose == "settings" else ()
    params = {"min": MIN_LENGTH, "max": MAX_LENGTH}
    if info.target == "duress":
        # it says what the second PIN does: on her screen no longer than her private pages
        return Say("pin.choose_duress", params, options, sensitive=True)
    return Say(for_channel("pin.choose", ctx), params, options)


def _duress_say(key: str) -> Say:
    """A message that speaks of her duress PIN (a chat app only): it expires from the chat."""
    return Say(key, sensitive=True)


def acceptable(pin: str) -> bool:
    """Digits only, of the allowed length, and nothing anyone would guess first."""
    return pin.isascii() and pin.isdigit() and MIN_LENGTH <= len(pin) <= MAX_LENGTH and not weak(pin)


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
    again = _choose_say(info, ctx)
    if state.step == "new":
        if not acceptable(pin):
            return result(state, Say("pin.invalid", {"min": MIN_LENGTH, "max": MAX_LENGTH}), again, effects=effects)
        if info.target == "duress":
            main_hash = info.main_hash
            if (main_hash and ctx.pins.matches(main_hash, pin)) or (not main_hash and ctx.pins.check(pin) == "pin"):
                return result(state, _duress_say("pin.duress_same"), again, effects=effects)
        elif info.purpose == "settings" and ctx.pins.check(pin) == "duress":
            # where the thread stays on her phone, this must not say which digits are the other PIN
            return result(state, Say(for_channel("pin.same_as_duress", ctx), sensitive=True), again, effects=effects)
        st = goto(state, "pin", "confirm", info.model_copy(update={"pending": ctx.pins.hash(pin)}))
        return result(st, Say(for_channel("pin.confirm", ctx)), effects=effects)
    pending = info.pending
    if not pending or not ctx.pins.matches(pending, pin):
        st = goto(state, "pin", "new", info.model_copy(update={"pending": None}))
        return result(st, Say("pin.mismatch"), again, effects=effects)
    duress = info.target == "duress"
    effects.append(SetPin(pending, duress=duress))
    saved = _duress_say("pin.duress_saved") if duress else Say(for_channel("pin.saved", ctx))
    if info.purpose == "onboarding":
        if not duress and duress_by_text(ctx):
            res = start_setup(state, ctx, "onboarding", "duress", main_hash=pending)
            return FlowResult(res.state, [saved, *res.says], effects)
        return FlowResult(state, [saved], effects, handoff=Handoff("after_pin"))
    return FlowResult(state, [saved], effects, handoff=Handoff("settings"))
