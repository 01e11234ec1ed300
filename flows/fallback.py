"""Input no flow understood: the one policy for what the NLU's intent does.

`understand` receives the intent the engine got from the NLU (bot.conversation.interpret,
nlu.service.Understanding.flow_intent) and decides what happens. Without a confident intent (None)
she gets a neutral "didn't get that" and the question she was on (or the menu).
Danger is handled first and without a confident model: emergency numbers at once, urgent escalation;
self-harm likewise, with the crisis line of her country (flows/common.py, `self_harm`).
A worry or a reported incident is heard and escalated; the numbers are offered there as a button.

Nothing that deletes, silences or erases is done on the model's word: quick exit, stop and "delete
my data" happen only on her exact command word or a button (flows/keywords.py, the menu). When the
model thinks she wants one of them, it is offered as a question with a button (on SMS a numbered
reply), in cover wording; a wrong guess then costs her one question, not her chat.
"""

from __future__ import annotations

from flows import danger_check, menu
from flows.common import danger as danger  # the danger net's answer, also the danger check's yes
from flows.common import for_channel, self_harm, with_lead
from flows.common import team_told as team_told
from flows.state import FlowState, result
from flows.types import Context, FlowResult, Option, RaiseEscalation, Say

DANGER = frozenset({"danger_now"})
SELF_HARM = frozenset({"self_harm"})
WORRY = frozenset({"feeling_unsafe", "report_incident"})
MENU_INTENTS = {
    "request_callback": "menu:callback",
    "programme_info": "menu:info",
    "delete_data": "menu:erase",
    "change_contact_time": "menu:settings",
}


def understand(intent: str | None, state: FlowState, ctx: Context,
               reprompt: list[Say]) -> FlowResult:
    """What to do with free text, given the NLU's intent (None: not known or not wired)."""
    enrolled = ctx.profile is not None and ctx.profile.status == "active"
    if intent in DANGER:
        danger_now = danger(state, ctx)
        danger_now.says.extend(reprompt)
        return danger_now
    if intent in SELF_HARM:
        crisis = self_harm(state, ctx)
        crisis.says.extend(reprompt)
        return crisis
    if intent == danger_check.INTENT:  # maybe danger: ask her, in cover wording (flows/danger_check.py)
        # before she is enrolled no flow could take her answer: treated as danger, not left unasked
        return danger_check.ask(state, ctx) if enrolled else danger(state, ctx)
    if intent == danger_check.SELF_HARM_INTENT:  # maybe her own life: the same question, a yes is the crisis line
        return danger_check.ask(state, ctx, her_own_life=True) if enrolled else self_harm(state, ctx)
    if intent in WORRY:
        # the numbers are offered, not sent unasked: only when she asks or the danger net fires
        offer: tuple[Option, ...] = (Option("menu:callback", "menu.opt_callback"),) if enrolled else ()
        offer += (Option("menu:numbers", "menu.opt_numbers"),)
        return result(state, Say("fallback.heard_you", options=offer), *reprompt,
                      effects=[RaiseEscalation("high", intent or "worry")])
    if enrolled and intent == "quick_exit":  # offered, never done on a guess
        yes = "fallback.opt_exit_yes_sms" if ctx.caps.exit == "pause_outbound" else "fallback.opt_exit_yes"
        confirm = (Option("menu:exit", yes), Option("menu:main", "common.no"))
        return result(state, Say(for_channel("fallback.confirm_exit", ctx), options=confirm))
    if enrolled and intent == "stop":  # offered, never done on a guess
        confirm = (Option("menu:stop", "fallback.opt_stop_yes"), Option("menu:main", "common.no"))
        return result(state, Say("fallback.confirm_stop", options=confirm))
    if enrolled and intent in MENU_INTENTS:
        opened = menu.select(MENU_INTENTS[intent], state, ctx)
        if opened is not None:
            return opened
    if len(reprompt) == 1:
        return result(state, with_lead("fallback.didnt_get", reprompt[0]))
    return result(state, Say("fallback.didnt_get"), *reprompt)
