"""Informed consent: three separate yes/no questions, each recorded with its text version.

(1) information: programme information and risk notices; (2) checkins: the regular questions;
(3) evaluation: her answers, pseudonymised, used for the programme's evaluation. No consent at
all means no messages beyond confirming that (status `declined`). The same questions run again
when a declined survivor sends START; single consents are changed in settings.
"""

from __future__ import annotations

from typing import Any

from flows.keywords import yes_no
from flows.state import ConsentData, FlowState, Turn, data_as, goto, result
from flows.types import Context, FlowResult, Handoff, Option, RecordConsent, Say, SetStatus

KINDS = ("information", "checkins", "evaluation")
YES_NO = (Option("yes", "common.yes"), Option("no", "common.no"))


def question(kind: str, number: int) -> Say:
    return Say(f"consent.{kind}", {"number": number, "total": len(KINDS)}, YES_NO)


def start(state: FlowState, ctx: Context) -> FlowResult:
    st = goto(state, "consent", KINDS[0], ConsentData())
    return result(st, Say("consent.intro"), question(KINDS[0], 1))


def prompt(state: FlowState, ctx: Context) -> list[Say]:
    step = state.step
    kind = step if step in KINDS else KINDS[0]
    return [question(kind, KINDS.index(kind) + 1)]


def handle(turn: Turn, state: FlowState, ctx: Context) -> FlowResult | None:
    answer = turn.choice if turn.choice in ("yes", "no") else yes_no(turn.text)
    if answer is None:
        return None
    kind = state.step
    if kind not in KINDS:
        return start(state, ctx)
    granted = dict(data_as(state, ConsentData).granted)
    granted[kind] = answer == "yes"
    effects: list[Any] = [RecordConsent(kind, granted[kind], ctx.consent_versions.get(kind, "unversioned"))]
    position = KINDS.index(kind)
    if position + 1 < len(KINDS):
        nxt = KINDS[position + 1]
        st = goto(state, "consent", nxt, ConsentData(granted=granted))
        return result(st, question(nxt, position + 2), effects=effects)
    if not any(granted.values()):
        st = goto(state, "declined", "main")
        return result(st, Say("consent.none_given"), effects=[*effects, SetStatus("declined")])
    return FlowResult(state, [], effects, handoff=Handoff("after_consent"))  # on with the onboarding
