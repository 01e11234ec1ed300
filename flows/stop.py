"""Stop, start and help: the carrier keywords on SMS, and "stop" on every channel.

Stop ends all messages at once (the engine cancels whatever is still queued for her) and is
confirmed in cover wording. Start resumes; someone who never consented is asked again.
"""

from __future__ import annotations

from flows import consent, onboarding
from flows.common import MENU_OPTIONS, emergency_say, for_channel, show_menu
from flows.state import FlowState, goto, result
from flows.types import Context, FlowResult, Option, Say, SetStatus

RESTART = (Option("start", "stop.opt_start"),)


def stop(state: FlowState, ctx: Context) -> FlowResult:
    st = goto(state, "stopped", "main").but(unlocked_until=None)
    if ctx.caps.silent_after_stop and ctx.profile is not None and ctx.profile.status == "stopped":
        return result(st)  # SMS: one confirmation after STOP, then silence (carrier rules)
    return result(st, Say("stop.confirmed"), effects=[SetStatus("stopped")])


def start(state: FlowState, ctx: Context) -> FlowResult:
    profile = ctx.profile
    if profile is None or profile.status == "declined" or not any(profile.consents.values()):
        res = consent.start(state, ctx)
        res.effects.append(SetStatus("onboarding"))
        return res
    if profile.status == "onboarding" or not profile.has_pin:
        st = goto(state, "onboarding", "persona") if state.flow in (None, "stopped") else state
        return result(st, Say("stop.restarted"), *onboarding.prompt(st, ctx), effects=[SetStatus("onboarding")])
    res = show_menu(state, ctx, Say("stop.restarted"))
    res.effects.append(SetStatus("active"))
    return res


def while_stopped(state: FlowState, ctx: Context) -> FlowResult:
    """She wrote after stopping: say how to start again, nothing else; on SMS not even that
    (after STOP one confirmation only; the carrier refuses more, error 21610)."""
    if ctx.caps.silent_after_stop:
        return result(state)
    key = "consent.still_declined" if ctx.profile and ctx.profile.status == "declined" else "stop.still_stopped"
    return result(state, Say(key, options=RESTART))


def help_reply(state: FlowState, ctx: Context) -> FlowResult:
    onboarding = ctx.profile is not None and ctx.profile.status == "onboarding"
    stopped = ctx.profile is not None and ctx.profile.status in ("stopped", "declined")
    key = for_channel("help.text", ctx)
    if onboarding or stopped:
        return result(state, Say(key))
    return result(state, Say(key, options=MENU_OPTIONS))


def numbers_anywhere(state: FlowState, ctx: Context) -> FlowResult:
    """Emergency numbers from any state, without leaving it (onboarding, stopped, a flow)."""
    enrolled = ctx.profile is not None and ctx.profile.status == "active"
    return result(state, emergency_say(ctx, MENU_OPTIONS if enrolled else ()))
