"""The one entry point of the conversation logic: every input of an enrolled survivor goes through
`route`, which tries the declared rules of flows/rules.py in order (the order is listed there).

The engine (bot/conversation.py) pre-fetches what the rules need, calls `route` (twice when the
first answer is `Interpret`: it asks the NLU and routes again with the intent), and carries out the
effects. A flow that hands on to another (her PIN unlocked what she asked to open) is resolved here
too (flows/rules.py, `resolve`), so her PIN opens the notice or check-in she asked for, not the menu.
"""

from __future__ import annotations

from collections.abc import Mapping

from flows.keywords import command_word, keyword
from flows.rules import RULES, Proceed, Rule, always_pressable, pin_like, resolve, spent
from flows.state import FlowState, Turn, finish, load_state, map_number
from flows.types import Context, FlowResult, ForgetInbound, Interpret, UserInput

__all__ = ["RULES", "always_pressable", "route", "spent", "turn_of"]


# what only an exact word or a button may do (quick exit, stop, erasure): where options are buttons
# without numbers (inline buttons: Telegram, the simulator), a bare number she types never stands for one of these
SILENCING = frozenset({"menu:exit", "menu:stop", "erase:1", "erase:2"})


def turn_of(event: UserInput, state: FlowState, ctx: Context) -> Turn:
    """Her input normalised: a button, or a number mapped back to the options shown last (on SMS, where
    they are numbered lines; elsewhere never to a silencing one); the keyword (or her own quick-exit
    word) when there is no choice."""
    choice = event.button or map_number(state, event.text)
    if event.button is None and ctx.caps.inline_buttons and choice in SILENCING:
        choice = None  # Telegram shows no numbers: "5" is not the fifth button, least of all Exit
    text = None if event.button else event.text
    word = keyword(text, ctx.caps.carrier_stop_words) if choice is None else None
    exit_word = state.exit_word
    if word is None and choice is None and exit_word and command_word(text) == exit_word:
        word = "exit"  # the quick-exit word she chose herself
    return Turn(event, choice, text, word)


def route(event: UserInput, state: FlowState | Mapping[str, object] | None, ctx: Context) -> FlowResult:
    """The reply to one input from an enrolled survivor (strangers go to onboarding.begin). A stored
    state of any version is read with `load_state`."""
    assert ctx.profile is not None, "route() is for enrolled survivors"
    before = load_state(state)
    st = before
    turn = turn_of(event, st, ctx)
    for rule in RULES:
        decided = rule.decide(turn, st, ctx)
        if isinstance(decided, Proceed):
            st = decided.state
        elif decided is not None:
            return _closed(rule, turn, decided, ctx)
    raise AssertionError("the last rule answers everything")  # pragma: no cover


def _closed(rule: Rule, turn: Turn, res: FlowResult, ctx: Context) -> FlowResult:
    res, stamped = resolve(res, ctx)
    if pin_like(turn.text) and not any(isinstance(e, ForgetInbound) for e in res.effects):
        res.effects.append(ForgetInbound())  # could be her PIN, whatever state or rule it met
    if not (rule.stamped and stamped):
        return res
    if any(isinstance(e, Interpret) for e in res.effects):
        return res  # the engine asks the NLU and routes again; nothing of this is kept
    return finish(res, ctx)
