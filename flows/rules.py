"""The conversation's precedence as one declared list: which rule answers an input, in which order.

Each rule is a small pure function `(turn, state, ctx) -> FlowResult | None` (None: not mine, the
next rule is asked), like Rasa's one policy per decision. Everything a rule needs from the database
the engine pre-fetched into the Context (her open check-in, the notice her input names, whether the
pressed button is stale). The router (flows/router.py) tries them in this order:

   1. danger_net        the danger net fired on her words: emergency numbers at once, in any state
   2. pin_typed         only digits, of PIN length: her PIN flow takes them first, asked or not
   3. to_worker         a worker holds her conversation: her free text goes to the worker (flows/live_chat.py)
   4. notice            the Read button or "1" under a notice's preview, Got it, Ring me
   5. plain_mode_gate   in plain mode the questions are explicit: her PIN before a check-in opens
   6. open_checkin      answers to her open check-in (it yields every word that works everywhere)
   7. spent_button      a button whose question was answered already does nothing again
   8. stop              stop (any state, any channel; the carriers' list on SMS)
   9. quick_exit        one word or one button, from any state (onboarding, stopped and declined included)
  10. stopped           stopped/declined: only start, help and the emergency numbers mean anything else
  11. help              help, in any state
  12. numbers           the emergency numbers, in any state
  13. onboarding        the onboarding, consent and PIN-setup steps
  14. route_recheck     her answer to "is this still a good way to reach you?"
  15. timeout           a half-finished flow older than FLOW_TIMEOUT falls back to the cover menu
  16. menu              "menu"/"start", and menu entries (buttons stay pressable later)
  17. pin_gate          a flow that reveals what the cover hides asks for her PIN first
  18. current_flow      the flow she is in
  19. nlu_fallback      anything left: the NLU (flows.fallback.understand)

Why her PIN comes second: a PIN is awaited in many states at once (a check-in half answered, a
notice's preview, the call-back or settings she asked to open), and any flow that reads digits
would otherwise swallow it ("Sorry, I didn't get that" under the next question, her PIN left on
the screen, a duress PIN raising nothing). No flow takes 4 to 8 bare digits as anything else (a
time has its dash, a phone number more digits), so from an active survivor with a PIN they always
go to the PIN flow: the PIN she was asked for opens what she asked for; typed unasked (likely when
someone makes her open the chat) it is an unlock attempt like any other, so a duress PIN is never
just "not understood". The danger net comes first only because it reads words, never digits.

Why notice and check-in come before stop: they take only their own buttons and numbers and yield
every word that works everywhere, and the numbers they take ("1" under the latest preview or
opening) must not be read as the options of an older menu. The danger net comes first: no stop,
help or exit word is a danger phrase, so nothing that used to stop does anything else now.
A flow that is done and hands on to another (her PIN unlocked: open what she asked for, a menu
entry, a notice or her check-in; the onboarding's next step after consent or the PIN; back to the
settings) says so with a `Handoff`, and `resolve` opens the next flow: flows never import each other
in circles, and what her PIN opens is the router's decision.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from types import ModuleType

from flows import (
    callback,
    checkin,
    consent,
    danger_check,
    erase,
    fallback,
    info,
    live_chat,
    menu,
    notice,
    onboarding,
    pin,
    route_check,
    settings,
    stop,
)
from flows.common import emergency_say, quick_exit, show_menu
from flows.keywords import digits_only, has_letters
from flows.payloads import WaveButton
from flows.state import FlowState, PinData, Turn, data_as, goto, is_unlocked, map_number, result, timed_out, to_menu
from flows.types import ButtonSpent, Context, FlowResult, Interpret, ToWorker, UserInput

FLOWS: dict[str, ModuleType] = {
    "onboarding": onboarding, "consent": consent, "pin": pin, "menu": menu, "info": info,
    "callback": callback, "settings": settings, "erase": erase, "danger_check": danger_check,
}
ONBOARDING_FLOWS = frozenset({"onboarding", "consent", "pin"})
ALWAYS_PRESSABLE = ("menu:", "route:", "wave:", "cq:")  # the menu, and messages we start ourselves


@dataclass(frozen=True)
class Proceed:
    """Not an answer: the following rules see this state instead (the timeout's fall-back to the menu)."""

    state: FlowState


Decision = FlowResult | Proceed | None


@dataclass(frozen=True)
class Rule:
    """One decision. `stamped`: the router stamps the state (touched, options shown) and forgets a
    PIN-like message; the check-in keeps her options empty (its question is the latest thing she saw)."""

    name: str
    decide: Callable[[Turn, FlowState, Context], Decision]
    stamped: bool = True


# -- helpers the rules share ---------------------------------------------------------------------

def _active(ctx: Context) -> bool:
    return ctx.profile is not None and ctx.profile.status == "active"


def always_pressable(payload: str) -> bool:
    return payload == "start" or payload.startswith(ALWAYS_PRESSABLE)


def spent(payload: str, state: FlowState) -> bool:
    """A button from an earlier message whose question was answered (not among the options the
    flows showed last). Only once the state records what was shown. The engine also tells the
    router when the pressed message is not the latest with buttons (`Context.stale_button`): the
    same "Yes" on question 1 must not answer question 2."""
    if state.options is None or payload in state.options:
        return False
    return not always_pressable(payload)


def pin_like(text: str | None) -> bool:
    digits = digits_only(text)
    return digits is not None and pin.MIN_LENGTH <= len(digits) <= pin.MAX_LENGTH


def typed_pin(text: str | None) -> bool:
    """Only digits (spaces allowed: "48 21"), of a PIN's length: nothing else she types looks like
    that ("10-14" is a time, "07700 900123" a phone number)."""
    return bool(text) and re.fullmatch(r"[0-9][0-9 ]*", (text or "").strip()) is not None and pin_like(text)


def numbered_choice(turn: Turn, state: FlowState, ctx: Context) -> str | None:
    """On SMS, a number answers the options a flow showed last (the menu, "1 Continue the
    questions") when they came after her check-in's latest message; else the check-in has it."""
    mapped = map_number(state, turn.input.text) if turn.input.button is None else None
    if mapped is None or ctx.open_checkin is None:
        return mapped
    opened = (ctx.checkin.reminded_at or ctx.checkin.sent_at) if ctx.checkin is not None else None
    touched = state.touched
    if opened is not None and (touched is None or touched <= opened):
        return None  # the opening (or reminder) is newer than the menu: "1" answers the check-in
    return mapped


def _wave_press(turn: Turn, state: FlowState, ctx: Context) -> str | None:
    numbered = numbered_choice(turn, state, ctx)
    return numbered if checkin.opens_wave(numbered) else turn.input.button


def needs_unlock(state: FlowState) -> bool:
    if state.flow == "pin":
        return data_as(state, PinData).purpose == "settings"
    return state.flow in menu.GATED_FLOWS


def current_module(state: FlowState) -> tuple[ModuleType, FlowState]:
    """The flow she is in (the menu when none, or when an onboarding step is left over from before
    she finished: not meaningful now)."""
    flow = state.flow
    if flow in ONBOARDING_FLOWS - {"pin"}:
        return menu, to_menu(state)
    return FLOWS.get(flow or "menu", menu), state


def not_understood(turn: Turn, state: FlowState, ctx: Context, module: ModuleType) -> FlowResult:
    """Not understood here: free text (with letters: never a PIN) goes to the NLU first."""
    if has_letters(turn.text) and not ctx.interpreted:
        return FlowResult(state, [], [Interpret(turn.text or "")])
    return fallback.understand(ctx.intent, state, ctx, module.prompt(state, ctx))


# -- the rules, in order ---------------------------------------------------------------------------

def danger_net(turn: Turn, st: FlowState, ctx: Context) -> Decision:
    if ctx.danger and turn.choice is None:
        return fallback.danger(st, ctx)  # before anything else, in any state, stopped included
    return None


def pin_typed(turn: Turn, st: FlowState, ctx: Context) -> Decision:
    if turn.input.button is not None or not typed_pin(turn.text) or not _active(ctx):
        return None
    if ctx.profile is None or not ctx.profile.has_pin:
        return None
    if st.flow == "pin" and not timed_out(st, ctx.now):
        if not needs_unlock(st) or is_unlocked(st, ctx.now):
            return pin.handle(turn, st, ctx)  # the PIN she was asked for (or is choosing in her settings)
        # choosing a new PIN in her settings, but locked again since: whoever types must unlock first
        return pin.handle(turn, goto(st, "pin", "unlock", PinData(then="menu:settings")), ctx)
    # typed without asking first (likely when someone makes her open the chat): an unlock attempt
    # like any other, so a duress PIN is never just "not understood"
    return pin.handle(turn, goto(st, "pin", "unlock", PinData(then="menu:main")), ctx)


def to_worker(turn: Turn, st: FlowState, ctx: Context) -> Decision:
    if live_chat.goes_to_worker(ctx.worker_holds, text=turn.text, button=turn.choice, word=turn.word,
                                danger=ctx.danger):
        return FlowResult(st, [], [ToWorker()])  # no answer from us: the worker answers
    return None


def notice_answer(turn: Turn, st: FlowState, ctx: Context) -> Decision:
    if ctx.danger or not _active(ctx):
        return None
    found = notice.action_of(turn.input, st, ctx)
    if found is None:
        return None
    notice_id, action = found
    return notice.step(action, ctx.notices.get(notice_id), st, ctx)


def plain_mode_gate(turn: Turn, st: FlowState, ctx: Context) -> Decision:
    if ctx.danger or not _active(ctx) or ctx.profile is None or not ctx.profile.plain_mode:
        return None
    if is_unlocked(st, ctx.now):
        return None
    pressed = _wave_press(turn, st, ctx)
    if checkin.opens_wave(pressed):
        return pin.ask_unlock(st, ctx, then=str(pressed))
    oc = ctx.checkin
    if oc is None or checkin.progress_of(st, oc).stage not in ("invited", "paused"):
        return None  # an answer is never held back (an urgent one least of all)
    # whatever else would begin or resume the questions ("1" under the opening, "continue"): her
    # PIN first, as for the button, so no explicit question reaches a locked screen
    opened = open_checkin(turn, st, ctx)
    if isinstance(opened, FlowResult) and any(say.sensitive for say in opened.says):
        return pin.ask_unlock(st, ctx, then=WaveButton(oc.instance_id, "start").pack())
    return None


def open_checkin(turn: Turn, st: FlowState, ctx: Context) -> Decision:
    if ctx.danger or not _active(ctx):
        return None
    numbered = numbered_choice(turn, st, ctx)
    if numbered is not None and not checkin.opens_wave(numbered):
        return None  # a number for the options a flow showed after her check-in's opening
    event = replace(turn.input, text=None, button=numbered) if numbered is not None else turn.input
    return checkin.handle(event, st, ctx)


def spent_button(turn: Turn, st: FlowState, ctx: Context) -> Decision:
    button = turn.input.button
    if button is None:
        return None
    if (ctx.stale_button and not always_pressable(button)) or spent(button, st):
        return FlowResult(st, [], [ButtonSpent()])  # state untouched: her numbered options stay valid
    return None


def stop_rule(turn: Turn, st: FlowState, ctx: Context) -> Decision:
    if turn.word == "stop" or turn.choice == "menu:stop":
        return stop.stop(st, ctx)
    return None


def stopped(turn: Turn, st: FlowState, ctx: Context) -> Decision:
    if ctx.profile is None or ctx.profile.status not in ("stopped", "declined"):
        return None
    if turn.word == "start" or turn.choice == "start":
        return stop.start(st, ctx)
    if turn.word == "help":
        return stop.help_reply(st, ctx)
    if turn.word == "numbers" or turn.choice == "menu:numbers":
        return stop.numbers_anywhere(st, ctx)
    return stop.while_stopped(st, ctx)


def help_rule(turn: Turn, st: FlowState, ctx: Context) -> Decision:
    return stop.help_reply(st, ctx) if turn.word == "help" else None


def numbers(turn: Turn, st: FlowState, ctx: Context) -> Decision:
    if turn.word != "numbers" and turn.choice != "menu:numbers":
        return None
    if ctx.profile is not None and ctx.profile.status == "onboarding":
        return stop.numbers_anywhere(st, ctx)
    return result(to_menu(st), emergency_say(ctx))


def quick_exit_rule(turn: Turn, st: FlowState, ctx: Context) -> Decision:
    if turn.word == "exit" or turn.choice == "menu:exit":
        return quick_exit(st, ctx)
    return None


def onboarding_rule(turn: Turn, st: FlowState, ctx: Context) -> Decision:
    if ctx.profile is None or ctx.profile.status != "onboarding":
        return None
    flow = st.flow
    if flow is None or flow not in ONBOARDING_FLOWS:
        st, flow = goto(st, "onboarding", "warning"), "onboarding"
    module = FLOWS[flow]
    if turn.word in ("start", "menu"):
        return FlowResult(st, module.prompt(st, ctx))
    handled = module.handle(turn, st, ctx)
    return handled if handled is not None else not_understood(turn, st, ctx, module)


def route_recheck(turn: Turn, st: FlowState, ctx: Context) -> Decision:
    return route_check.handle(turn.choice, st, ctx)


def timeout(turn: Turn, st: FlowState, ctx: Context) -> Decision:
    return Proceed(to_menu(st)) if timed_out(st, ctx.now) else None


def menu_rule(turn: Turn, st: FlowState, ctx: Context) -> Decision:
    if turn.word in ("start", "menu"):
        return show_menu(st, ctx)
    if turn.choice and turn.choice.startswith("menu:"):
        return menu.select(turn.choice, st, ctx)
    return None


def pin_gate(turn: Turn, st: FlowState, ctx: Context) -> Decision:
    if needs_unlock(st) and not is_unlocked(st, ctx.now):
        target = "menu:settings" if st.flow == "pin" else f"menu:{st.flow}"
        return pin.ask_unlock(to_menu(st), ctx, then=target)
    return None


def current_flow(turn: Turn, st: FlowState, ctx: Context) -> Decision:
    module, st = current_module(st)
    return module.handle(turn, st, ctx)


def nlu_fallback(turn: Turn, st: FlowState, ctx: Context) -> Decision:
    module, st = current_module(st)
    return not_understood(turn, st, ctx, module)


RULES: tuple[Rule, ...] = (
    Rule("danger_net", danger_net),
    Rule("pin_typed", pin_typed),
    Rule("to_worker", to_worker, stamped=False),
    Rule("notice", notice_answer),
    Rule("plain_mode_gate", plain_mode_gate),
    Rule("open_checkin", open_checkin, stamped=False),
    Rule("spent_button", spent_button, stamped=False),
    Rule("stop", stop_rule),
    Rule("quick_exit", quick_exit_rule),
    Rule("stopped", stopped),
    Rule("help", help_rule),
    Rule("numbers", numbers),
    Rule("onboarding", onboarding_rule),
    Rule("route_recheck", route_recheck),
    Rule("timeout", timeout),
    Rule("menu", menu_rule),
    Rule("pin_gate", pin_gate),
    Rule("current_flow", current_flow),
    Rule("nlu_fallback", nlu_fallback),
)


# -- a flow that hands on to another -----------------------------------------------------------------

def resolve(res: FlowResult, ctx: Context) -> tuple[FlowResult, bool]:
    """Open the flow `res` hands on to: its messages follow the ones `res` already has, its effects
    follow too. Also whether the router still stamps the state (not after opening her check-in,
    whose question is then the latest thing on her screen)."""
    handoff = res.handoff
    if handoff is None:
        return res, True
    stamped = True
    if handoff.to == "after_pin":
        nxt = onboarding.after_pin(res.state, ctx)
    elif handoff.to == "after_consent":
        nxt = onboarding.after_consent(res.state, ctx)
    elif handoff.to == "settings":
        nxt = settings.show(res.state, ctx)
    else:
        nxt, stamped = _open_unlocked(handoff.payload, res.state, ctx)
    return FlowResult(nxt.state, [*res.says, *nxt.says], [*res.effects, *nxt.effects]), stamped


def _open_unlocked(then: str, state: FlowState, ctx: Context) -> tuple[FlowResult, bool]:
    """Her PIN unlocked: straight into what she asked to open (a notice's text, her check-in), else
    the menu entry (the menu itself for anything else)."""
    if _active(ctx):
        found = notice.parse(then)
        if found is not None:
            return notice.step(found[1], ctx.notices.get(found[0]), state, ctx), True
        if checkin.opens_wave(then):
            answered = checkin.handle(UserInput(ctx.channel, ctx.now, button=then), state.but(touched=ctx.now), ctx)
            if answered is not None:  # the check-in she asked for, not the menu
                return answered, False
    return menu.open_unlocked(then, state, ctx), True
