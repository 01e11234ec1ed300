"""The danger check: one question in cover wording when her words might mean danger but might not.

"Quick question: do you need help right now?  1 Yes  2 No". A yes is danger (emergency numbers at
once, urgent escalation); a no closes it and she is back at the menu. The question is asked with a
held urgent escalation (``HoldEscalation``): if she does not answer within ``WAIT`` (she may not be
able to), the safety tick opens it and a worker is alerted all the same. Anything else she writes
goes through the usual routing (so "he's here" is caught by the danger net), and the question stays
open until it is answered or the wait is over. Which messages get the question is decided in
safety/danger_decision.py; this module only asks and reads the answer.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from flows.common import danger, show_menu
from flows.keywords import yes_no
from flows.state import FlowState, Turn, goto, to_menu
from flows.types import Context, FlowResult, HoldEscalation, Option, ReleaseHeldEscalations, Say

FLOW: Final = "danger_check"
INTENT = "danger_check"  # what the NLU side answers when the danger decision says "ask"
REASON = "danger_unanswered"
WAIT = timedelta(minutes=5)
YES, NO = "danger_check:yes", "danger_check:no"


def prompt(state: FlowState, ctx: Context) -> list[Say]:
    """The question, with two options (numbered 1 and 2 on SMS). Never held by her contact windows."""
    return [Say("danger_check.ask", options=(Option(YES, "common.yes"), Option(NO, "common.no")), urgent=True)]


def ask(state: FlowState, ctx: Context) -> FlowResult:
    """Ask, and hold an urgent escalation that opens by itself if no answer comes within WAIT."""
    if state.flow == FLOW:  # asked already and still waiting: one question, one held alert
        return FlowResult(state, prompt(state, ctx), [])
    st = goto(state, FLOW, "ask")
    return FlowResult(st, prompt(st, ctx), [HoldEscalation("urgent", REASON, WAIT)])


def handle(turn: Turn, state: FlowState, ctx: Context) -> FlowResult | None:
    answer = {YES: "yes", NO: "no"}.get(turn.choice or "") or yes_no(turn.text)
    if answer == "yes":
        res = danger(to_menu(state), ctx)
        res.effects.insert(0, ReleaseHeldEscalations(REASON))
        return res
    if answer == "no":
        res = show_menu(state, ctx, Say("danger_check.ok"))
        res.effects.append(ReleaseHeldEscalations(REASON))
        return res
    return None  # not an answer: the usual routing (NLU, danger net) sees it; the question stays open
