"""PIN and duress PIN: unlocking sensitive content, and choosing or changing either PIN.

What she sees never tells a duress PIN from a wrong one: both show the cover menu with the same
line and both count towards the wrong-PIN limit (otherwise endless "wrong" tries that never lock
would give the duress PIN away). The duress PIN silently raises an urgent escalation, even while
PIN entry is locked. The lock never hides the emergency numbers: the cover menu always offers them.
Every message holding digits at a PIN prompt is forgotten (not stored, deleted where possible).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flows.common import menu_say, with_lead
from flows.keywords import digits_only
from flows.state import Turn, data, goto, iso, parse_time, result, to_menu
from flows.types import Context, FlowResult, ForgetInbound, Option, RaiseEscalation, Say, SetPin

MIN_LENGTH, MAX_LENGTH = 4, 8
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
BACK_TO_MENU = Option("menu:main", "common.back_to_menu")
BACK_TO_SETTINGS = Option("menu:settings", "common.back")


def locked_out(state: dict[str, Any], ctx: Context) -> bool:
    until = parse_time(state.get("pin_locked_until"))
    return until is not None and until > ctx.now


def _cover_menu(state: dict[str, Any], ctx: Context, key: str) -> list[Say]:
    return [with_lead(key, menu_say(state, ctx, "menu.cover"))]


def ask_unlock(state: dict[str, Any], ctx: Context, then: str) -> FlowResult:
    """Ask for her PIN before `then` (a menu payload); while locked out, the cover menu instead."""
    if locked_out(state, ctx):
        st = to_menu(state)
        return result(st, *_cover_menu(st, ctx, "pin.locked"))
    return result(goto(state, "pin", "unlock", then=then), Say("pin.ask", options=(BACK_TO_MENU,)))


def prompt(state: dict[str, Any], ctx: Context) -> list[Say]:
    if state.get("step") == "unlock":
        return [Say("pin.ask", options=(BACK_TO_MENU,))]
    return [_choose_say(data(state))]


def handle(turn: Turn, state: dict[str, Any], ctx: Context) -> FlowResult | None:
    if state.get("step") == "unlock":
        return _unlock(turn, state, ctx)
    return _setup(turn, state, ctx)


def _unlock(turn: Turn, state: dict[str, Any], ctx: Context) -> FlowResult | None:
    pin = digits_only(turn.text)
    if pin is None or ctx.pins is None:
        return None
    effects: list[Any] = [ForgetInbound()]
    match = ctx.pins.check(pin)
    if match == "duress":
        effects.append(RaiseEscalation("urgent", "duress_pin"))
    st = to_menu(state)
    if locked_out(state, ctx):
        return result(st, *_cover_menu(st, ctx, "pin.locked"), effects=effects)
    if match == "pin":
        st["pin_failures"], st["pin_locked_until"] = 0, None
        minutes = ctx.profile.unlock_minutes if ctx.profile else 10
        st["unlocked_until"] = iso(ctx.now + timedelta(minutes=minutes))
        from flows import menu  # local: the menu opens gated flows through this one

        res = menu.open_unlocked(str(data(state).get("then") or "menu:main"), st, ctx)
        return type(res)(res.state, res.says, [*effects, *res.effects])
    failures = int(st.get("pin_failures") or 0) + 1
    if failures >= MAX_FAILURES:
        st["pin_failures"], st["pin_locked_until"] = 0, iso(ctx.now + LOCKOUT)
        effects.append(RaiseEscalation("routine", "pin_lockout"))
        return result(st, *_cover_menu(st, ctx, "pin.locked"), effects=effects)
    st["pin_failures"] = failures
    return result(st, *_cover_menu(st, ctx, "pin.not_recognised"), effects=effects)


# -- choosing a PIN -------------------------------------------------------------------------------

def start_setup(state: dict[str, Any], ctx: Context, purpose: str, target: str = "main",
                **extra: Any) -> FlowResult:
    """purpose: onboarding (main then duress, no way back) or settings; target: main or duress."""
    info = {"purpose": purpose, "target": target, **extra}
    return result(goto(state, "pin", "new", **info), _choose_say(info))


def _choose_say(info: dict[str, Any]) -> Say:
    key = "pin.choose_duress" if info.get("target") == "duress" else "pin.choose"
    options = (BACK_TO_SETTINGS,) if info.get("purpose") == "settings" else ()
    return Say(key, {"min": MIN_LENGTH, "max": MAX_LENGTH}, options)


def weak(pin: str) -> bool:
    """All one digit, or a run up or down (1234, 9876): the first guesses anyone tries."""
    if len(set(pin)) == 1:
        return True
    steps = {(int(b) - int(a)) % 10 for a, b in zip(pin, pin[1:], strict=False)}
    return steps in ({1}, {9})


def _setup(turn: Turn, state: dict[str, Any], ctx: Context) -> FlowResult | None:
    pin = digits_only(turn.text)
    if pin is None or ctx.pins is None:
        return None
    info = data(state)
    effects: list[Any] = [ForgetInbound()]
    again = _choose_say(info)
    if state.get("step") == "new":
        if not MIN_LENGTH <= len(pin) <= MAX_LENGTH or weak(pin):
            return result(state, Say("pin.invalid", {"min": MIN_LENGTH, "max": MAX_LENGTH}), again, effects=effects)
        if info.get("target") == "duress":
            main_hash = info.get("main_hash")
            if (main_hash and ctx.pins.matches(main_hash, pin)) or (not main_hash and ctx.pins.check(pin) == "pin"):
                return result(state, Say("pin.duress_same"), again, effects=effects)
        elif info.get("purpose") == "settings" and ctx.pins.check(pin) == "duress":
            return result(state, Say("pin.same_as_duress"), again, effects=effects)
        st = goto(state, "pin", "confirm", **info, pending=ctx.pins.hash(pin))
        return result(st, Say("pin.confirm"), effects=effects)
    pending = info.get("pending")
    if not pending or not ctx.pins.matches(pending, pin):
        st = goto(state, "pin", "new", **{k: v for k, v in info.items() if k != "pending"})
        return result(st, Say("pin.mismatch"), again, effects=effects)
    duress = info.get("target") == "duress"
    effects.append(SetPin(pending, duress=duress))
    if info.get("purpose") == "onboarding":
        if not duress:
            res = start_setup(state, ctx, "onboarding", "duress", main_hash=pending)
            return FlowResult(res.state, [Say("pin.saved"), *res.says], effects)
        from flows import onboarding

        res = onboarding.after_pin(state, ctx)
        return FlowResult(res.state, [Say("pin.duress_saved"), *res.says], effects)
    from flows import settings

    res = settings.show(state, ctx, Say("pin.duress_saved" if duress else "pin.saved"))
    return FlowResult(res.state, res.says, [*effects, *res.effects])
