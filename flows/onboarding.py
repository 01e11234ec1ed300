"""Enrolment by invitation, then the informed-consent sequence, cover persona, PIN and contact times.

Order matters for her safety: the first thing she reads after a valid code is the tech-safety
warning (this chat itself can give her away; how to delete it; SMS stays on the phone), then
what the service does and keeps. A valid code creates only what a reply needs: her record with
the invitation's locale and country, the conversation state, and this chat's identity; nothing
she answers (consents, cover, PIN, times) is stored before she has read all that.
Anyone without a valid invitation gets exactly the stranger's neutral reply.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from content.text import fold
from flows import consent, pin
from flows.common import for_channel, show_menu
from flows.keywords import keyword, yes_no
from flows.state import FlowState, Turn, goto, result
from flows.stranger import reply_to_stranger
from flows.types import (
    Context,
    DeclineInvitation,
    Enrol,
    FlowResult,
    Option,
    ProfileChanges,
    RejectCode,
    Say,
    SetStatus,
    UpdateProfile,
    UserInput,
)
from flows.windows import PRESETS
from flows.windows import parse as parse_window

CONTINUE = (Option("ok", "onboarding.opt_continue"), Option("no", "onboarding.opt_no"))


def begin(event: UserInput, ctx: Context) -> FlowResult:
    """Someone we do not know wrote: enrol her if the engine found a valid invitation, else the
    neutral stranger reply (and a counted rejection when she sent something code-shaped)."""
    invite = ctx.invite
    if invite is not None and invite.status == "valid" and invite.invitation_id is not None:
        declined = keyword(event.text, ctx.caps.carrier_stop_words) == "stop" or yes_no(event.text) == "no"
        if invite.by_address and declined:
            return result(FlowState(), Say("invite.declined"), effects=[DeclineInvitation(invite.invitation_id)])
        state = FlowState(flow="onboarding", step="warning", touched=ctx.now)
        return result(state, warning_say(ctx), effects=[Enrol(invite.invitation_id)])
    reply = reply_to_stranger(ctx.caps)
    if invite is not None and invite.status != "none":
        reply.effects.append(RejectCode(invite.status))
    return reply


def prompt(state: FlowState, ctx: Context) -> list[Say]:
    step = state.step
    if step == "about":
        return [Say("onboarding.about", options=CONTINUE)]
    if step == "persona":
        return [persona_question(ctx)]
    if step == "windows":
        return [windows_question()]
    return [warning_say(ctx)]


def warning_say(ctx: Context) -> Say:
    """SMS cannot clear the screen: its warning says what EXIT does there (we stay quiet)."""
    return Say(for_channel("onboarding.warning", ctx), options=CONTINUE)


def persona_question(ctx: Context) -> Say:
    options = tuple(Option(f"persona:{p}", "persona.option", {"persona": p}) for p in ctx.personas)
    return Say("onboarding.persona", options=(*options, Option("persona:plain", "onboarding.opt_plain")))


def windows_question() -> Say:
    options = tuple(Option(f"preset:{name}", "windows.option", {"window": w}) for name, w in PRESETS.items())
    return Say("onboarding.windows", options=(*options, Option("later", "onboarding.opt_later")))


def decline(state: FlowState) -> FlowResult:
    return result(goto(state, "declined", "main"), Say("onboarding.declined"), effects=[SetStatus("declined")])


def handle(turn: Turn, state: FlowState, ctx: Context) -> FlowResult | None:
    step = state.step
    answer = turn.choice or yes_no(turn.text)
    if step == "warning":
        if answer in ("ok", "yes"):
            return result(goto(state, "onboarding", "about"), Say("onboarding.about", options=CONTINUE))
        return decline(state) if answer == "no" else None
    if step == "about":
        if answer in ("ok", "yes"):
            return consent.start(state, ctx)
        return decline(state) if answer == "no" else None
    if step == "persona":
        return _choose_persona(turn, state, ctx)
    if step == "windows":
        return _choose_windows(turn, state, ctx)
    return None


def after_consent(state: FlowState, ctx: Context) -> FlowResult:
    """Consent given (at least one kind): on to the cover persona, or straight back to the menu
    for someone who had finished onboarding before (a restart after declining)."""
    if ctx.profile is not None and ctx.profile.has_pin:
        res = show_menu(state, ctx, Say("stop.restarted"))
        res.effects.append(SetStatus("active"))
        return res
    return result(goto(state, "onboarding", "persona"), persona_question(ctx),
                  effects=[SetStatus("onboarding")])


def _choose_persona(turn: Turn, state: FlowState, ctx: Context) -> FlowResult | None:
    choice = turn.choice or ""
    if not choice.startswith("persona:"):
        named = fold(turn.text)
        choice = f"persona:{named}" if named in ctx.personas else ""
    name = choice.removeprefix("persona:")
    if name == "plain":
        changes: ProfileChanges = {"plain_mode": True}
    elif name in ctx.personas:
        changes = {"persona": name, "plain_mode": False}
    else:
        return None
    res = pin.start_setup(state, ctx, purpose="onboarding")
    return FlowResult(res.state, [Say("onboarding.persona_set"), *res.says], [UpdateProfile(changes), *res.effects])


def after_pin(state: FlowState, ctx: Context) -> FlowResult:
    return result(goto(state, "onboarding", "windows"), windows_question())


def _choose_windows(turn: Turn, state: FlowState, ctx: Context) -> FlowResult | None:
    """A preset, "later", or a time she types ("daily 0-24", "Mo-Fr 9-17 Uhr", "mornings"): what was
    understood is said back before anything else, so a misreading is seen at once."""
    choice = turn.choice or (yes_no(turn.text) == "no" and "later") or ""
    effects: list[Any] = []
    understood: list[Say] = []
    typed = parse_window(turn.text) if not turn.choice else None
    if choice.startswith("preset:") and choice.removeprefix("preset:") in PRESETS:
        effects.append(UpdateProfile({"contact_windows": [PRESETS[choice.removeprefix("preset:")]]}))
    elif typed is not None:
        effects.append(UpdateProfile({"contact_windows": [typed]}))
        understood.append(Say("windows.understood", {"windows": [typed]}))
    elif choice != "later":
        if turn.text and any(c.isdigit() for c in turn.text):
            return result(state, Say("windows.not_understood"), windows_question())
        return None
    minutes = ctx.profile.unlock_minutes if ctx.profile else 10
    st = state.but(unlocked_until=ctx.now + timedelta(minutes=minutes))
    res = show_menu(st, ctx, *understood, Say(for_channel("onboarding.done", ctx)))
    return FlowResult(res.state, res.says, [*effects, SetStatus("active"), *res.effects])
