"""The danger check: one question in cover wording when her words might mean danger but might not.

"Quick question: do you need help right now?  1 Yes  2 No". A yes is danger (emergency numbers at
once, urgent escalation); a no closes it and she is back at the menu. Asked about her own life (a
warning sign of self-harm, ``SELF_HARM_INTENT``), a yes is the crisis line of her country and an urgent
self-harm escalation instead: a yes to "are you going to hurt yourself" needs the crisis line, not only
the domestic-abuse helplines. The question is asked with a
held urgent escalation (``HoldEscalation``): if she does not answer within ``WAIT`` (she may not be
able to), the safety tick opens it and a worker is alerted all the same. Anything else she writes
goes through the usual routing (so "he's here" is caught by the danger net), and the question stays
open until it is answered or the wait is over. Which messages get the question is decided in
safety/danger_decision.py; this module only asks and reads the answer.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from flows.common import danger, self_harm, show_menu
from flows.keywords import yes_no
from flows.state import FlowState, Turn, goto, to_menu
from flows.types import Context, FlowResult, HoldEscalation, Option, ReleaseHeldEscalations, Say

FLOW: Final = "danger_check"
INTENT = "danger_check"  # what the NLU side answers when the danger decision says "ask"
SELF_HARM_INTENT = "self_harm_check"  # ... and when what it asks about is her own life
ASK, ASK_SELF_HARM = "ask", "ask_self_harm"  # the step remembers which, for her answer
REASON = "danger_unanswered"
WAIT = timedelta(minutes=5)
YES, NO = "danger_check:yes", "danger_check:no"


def prompt(state: FlowState, ctx: Context) -> list[Say]:
    """The question, with two options (numbered 1 and 2 on SMS). Never held by her contact windows."""
    return [Say("danger_check.ask", options=(Option(YES, "common.yes"), Option(NO, "common.no")), urgent=True)]


def ask(state: FlowState, ctx: Context, *, her_own_life: bool = False) -> FlowResult:
    """Ask, and hold an urgent escalation that opens by itself if no answer comes within WAIT."""
    if state.flow == FLOW:  # asked already and still waiting: one question, one held alert
        st = goto(state, FLOW, ASK_SELF_HARM) if her_own_life else state  # a sign of self-harm is kept
        return FlowResult(st, prompt(st, ctx), [])
    st = goto(state, FLOW, ASK_SELF_HARM if her_own_life else ASK)
    return FlowResult(st, prompt(st, ctx), [HoldEscalation("urgent", REASON, WAIT)])


def handle(turn: Turn, state: FlowState, ctx: Context) -> FlowResult | None:
    answer = {YES: "yes", NO: "no"}.get(turn.choice or "") or yes_no(turn.text)
    if answer == "yes":
        res = (self_harm if state.step == ASK_SELF_HARM else danger)(to_menu(state), ctx)
        res.effects.insert(0, ReleaseHeldEscalations(REASON))
        return res
    if answer == "no":
        res = show_menu(state, ctx, Say("danger_check.ok"))
        res.effects.append(ReleaseHeldEscalations(REASON))
        return res
    return None  # not an answer: the usual routing (NLU, danger net) sees it; the question stays open
