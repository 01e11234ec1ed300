"""Messages several flows end with: the menu (cover or unlocked), the emergency numbers, quick exit,
and the answer to danger (the danger net, the NLU, a yes to the danger check) or to self-harm."""

from __future__ import annotations

from datetime import timedelta

from flows.payloads import WaveButton
from flows.state import FlowState, is_unlocked, lock, result, to_menu
from flows.types import Context, FlowResult, Option, QuickExitRequested, RaiseEscalation, Say

MENU_OPTIONS: tuple[Option, ...] = (
    Option("menu:info", "menu.opt_info"),
    Option("menu:callback", "menu.opt_callback"),
    Option("menu:settings", "menu.opt_settings"),
    Option("menu:numbers", "menu.opt_numbers"),
    Option("menu:exit", "menu.opt_exit"),
    Option("menu:erase", "menu.opt_erase"),
    Option("menu:stop", "menu.opt_stop"),
)

BACK = Option("menu:main", "common.back_to_menu")
# after quick exit in a chat, routine messages wait until she writes; at most this long (a worker sees
# the pause on her page and can reach her another way; urgent notices and replies are never held)
QUIET_AFTER_EXIT = timedelta(days=30)
SMS_VARIANTS = frozenset({"onboarding.warning", "onboarding.done", "help.text", "fallback.confirm_exit",
                          "pin.ask", "pin.choose", "pin.confirm", "pin.saved", "pin.same_as_duress"})


def for_channel(key: str, ctx: Context) -> str:
    """The wording for a channel that keeps every message on her phone (SMS) of a text that
    promises what only a chat app can do ("EXIT clears the screen", "we remove your PIN messages"):
    there EXIT pauses our messages instead, and she is asked to delete what she typed herself."""
    return f"{key}_sms" if not ctx.caps.deletes_messages and key in SMS_VARIANTS else key


def continue_option(ctx: Context) -> tuple[Option, ...]:
    """While a check-in of hers is open, the menu offers the way back to it (after a quick exit
    deleted its messages, this is how she finds it again)."""
    if ctx.open_checkin is None:
        return ()
    return (Option(WaveButton(ctx.open_checkin, "start").pack(), "menu.opt_continue_checkin"),)


def with_lead(lead_key: str, say: Say) -> Say:
    """One message instead of two ("Sorry, I didn't get that." above the question): one SMS, one
    notification. The catalog renders `lead` (a text key) first."""
    return Say(say.key, {**say.params, "lead": lead_key}, say.options, say.sensitive, say.urgent)


def tip(ctx: Context) -> int:
    """Which cover tip to show: changes daily, so the cover looks alive."""
    return ctx.now.toordinal()


def menu_say(state: FlowState, ctx: Context, key: str | None = None) -> Say:
    """The menu: the cover menu (a tip plus the entries) while locked, a plain prompt when unlocked."""
    if key is None:
        key = "menu.main" if is_unlocked(state, ctx.now) else "menu.cover"
    return Say(key, {"tip": tip(ctx)}, (*continue_option(ctx), *MENU_OPTIONS))


def show_menu(state: FlowState, ctx: Context, *before: Say) -> FlowResult:
    st = to_menu(state)
    return result(st, *before, menu_say(st, ctx))


def emergency_say(ctx: Context, options: tuple[Option, ...] = MENU_OPTIONS) -> Say:
    country = ctx.profile.country if ctx.profile else "EU"
    return Say("emergency.numbers", {"country": country}, options, urgent=True)


def quick_exit(state: FlowState, ctx: Context) -> FlowResult:
    """One innocuous cover message, nothing else; back to the locked cover state. On SMS not even
    that: a text cannot be recalled, outbound pauses instead (the safety layer), so nothing arrives."""
    not_active = ctx.profile is not None and ctx.profile.status in ("onboarding", "stopped", "declined")
    st = lock(state) if not_active else to_menu(lock(state))  # stopped stays stopped, onboarding goes on
    if ctx.caps.exit == "pause_outbound":  # SMS: the safety layer pauses for her chosen period
        return result(st, effects=[QuickExitRequested()])
    # a chat: her screen now holds one cover message; nothing routine may join it before she writes
    quiet_until = ctx.now + QUIET_AFTER_EXIT
    return result(st.but(quiet_until=quiet_until), Say("exit.cover", {"tip": tip(ctx)}),
                  effects=[QuickExitRequested(quiet_until=quiet_until)])


SELF_HARM_REASON = "self_harm"


def danger(state: FlowState, ctx: Context) -> FlowResult:
    """Emergency numbers at once (in her cover wording when disguised) and an urgent escalation;
    then, for an enrolled survivor, that the team has been told and a call-back offered. When the
    danger net's rule was self-harm (``ctx.self_harm``) the answer is ``self_harm`` instead."""
    if ctx.self_harm:
        return self_harm(state, ctx)
    says = [emergency_say(ctx, ())]
    if ctx.profile is not None and ctx.profile.status == "active":
        says.append(team_told())
    return result(state, *says, effects=[RaiseEscalation("urgent", "danger_now")])


def crisis_say(ctx: Context) -> Say:
    """The crisis line of her country and the emergency number (content/<locale>/crisis.yaml)."""
    country = ctx.profile.country if ctx.profile else "EU"
    return Say("self_harm.reply", {"country": country}, (), urgent=True)


def self_harm(state: FlowState, ctx: Context) -> FlowResult:
    """Her own life at risk: a warm word, the crisis line of her country and the emergency number
    at once (cover wording when disguised: no word of what it is about in the preview), and an
    urgent escalation with its own reason so the worker knows what kind of call to make."""
    says = [crisis_say(ctx)]
    if ctx.profile is not None and ctx.profile.status == "active":
        says.append(team_told())
    return result(state, *says, effects=[RaiseEscalation("urgent", SELF_HARM_REASON)])


def team_told() -> Say:
    """In her cover wording (a neutral preview): the team knows; would a call-back help?"""
    return Say("danger.team_told", options=(Option("menu:callback", "menu.opt_callback"),), urgent=True)
