"""The one entry point of the conversation logic: every input of an enrolled survivor goes through
`route`, which tries the declared rules of flows/rules.py in order (the order is listed there).

The engine (bot/conversation.py) pre-fetches what the rules need, calls `route` (twice when the
first answer is `Interpret`: it asks the NLU and routes again with the intent), and carries out the
effects. After a PIN unlock the router continues into what she asked to open (a notice's text, her
check-in), so her PIN opens that and not the menu.
"""

from __future__ import annotations

from typing import Any

from content.text import fold
from flows import checkin, notice
from flows.keywords import keyword
from flows.rules import RULES, Proceed, Rule, always_pressable, pin_like, spent
from flows.state import Turn, data, finish, is_unlocked, map_number
from flows.types import Context, FlowResult, ForgetInbound, Interpret, UserInput

__all__ = ["RULES", "always_pressable", "continue_after_unlock", "route", "spent", "turn_of"]


def turn_of(event: UserInput, state: dict[str, Any], ctx: Context) -> Turn:
    """Her input normalised: a button, or a number mapped back to the options shown last; the
    keyword (or her own quick-exit word) when there is no choice."""
    choice = event.button or map_number(state, event.text)
    text = None if event.button else event.text
    word = keyword(text, ctx.channel) if choice is None else None
    exit_word = state.get("exit_word")
    if word is None and choice is None and exit_word and fold(text) == exit_word:
        word = "exit"  # the quick-exit word she chose herself
    return Turn(event, choice, text, word)


def route(event: UserInput, state: dict[str, Any] | None, ctx: Context) -> FlowResult:
    """The reply to one input from an enrolled survivor (strangers go to onboarding.begin)."""
    assert ctx.profile is not None, "route() is for enrolled survivors"
    before = dict(state or {})
    st = before
    turn = turn_of(event, st, ctx)
    for rule in RULES:
        decided = rule.decide(turn, st, ctx)
        if isinstance(decided, Proceed):
            st = decided.state
        elif decided is not None:
            return _closed(rule, turn, before, decided, ctx)
    raise AssertionError("the last rule answers everything")  # pragma: no cover


def _closed(rule: Rule, turn: Turn, before: dict[str, Any], res: FlowResult, ctx: Context) -> FlowResult:
    if not rule.stamped:
        return res
    if pin_like(turn.text) and not any(isinstance(e, ForgetInbound) for e in res.effects):
        res.effects.append(ForgetInbound())  # could be her PIN, whatever state it arrived in
    if any(isinstance(e, Interpret) for e in res.effects):
        return res  # the engine asks the NLU and routes again; nothing of this is kept
    done = finish(res, ctx)
    return continue_after_unlock(before, done, ctx) if rule.continues else done


def continue_after_unlock(before: dict[str, Any], res: FlowResult, ctx: Context) -> FlowResult:
    """Her PIN unlocked while she was asked for it to open a notice or her check-in: straight into
    that, not the menu (the PIN flow's own `then` opens only menu entries)."""
    then = data(before).get("then") if before.get("flow") == "pin" else None
    active = ctx.profile is not None and ctx.profile.status == "active"
    if not isinstance(then, str) or not active or not is_unlocked(res.state, ctx.now):
        return res
    found = notice.parse(then)
    if found is not None:
        opened = finish(notice.step(found[1], ctx.notices.get(found[0]), res.state, ctx), ctx)
        return FlowResult(opened.state, opened.says, [*res.effects, *opened.effects])
    if checkin.opens_wave(then):
        answered = checkin.handle(UserInput(ctx.channel, ctx.now, button=then), res.state, ctx)
        if answered is not None:  # straight into the check-in she asked for, not the menu
            return FlowResult(answered.state, answered.says, [*res.effects, *answered.effects])
    return res
