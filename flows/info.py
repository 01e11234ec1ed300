"""Programme information (after the PIN): what it is and is not, how long, partner contact, its
risks, where else to get help. Texts live in content/<locale>/programme.yaml.

Pages are explicit, so they are `sensitive` (they expire from the chat) and each is followed by the
clean index, so the chat list never ends on one. SMS cannot be deleted from her phone, so with the
cover on she is warned first and can choose a call instead.
"""

from __future__ import annotations

from flows.state import FlowState, InfoData, Turn, data_as, goto, result
from flows.types import Context, FlowResult, Option, Say

PAGES = ("what", "duration", "contact", "risks", "elsewhere")
BACK = Option("menu:main", "common.back_to_menu")


def _index_say() -> Say:
    return Say("info.index", options=(*(Option(f"info:{p}", f"info.opt_{p}") for p in PAGES), BACK))


def start(state: FlowState, ctx: Context) -> FlowResult:
    plain = ctx.profile.plain_mode if ctx.profile else False
    if not ctx.caps.deletes_messages and not plain:
        options = (Option("info:sms_ok", "info.opt_sms_ok"), Option("menu:callback", "info.opt_call_instead"), BACK)
        return result(goto(state, "info", "sms_warning"), Say("info.sms_warning", options=options))
    return result(goto(state, "info", "index"), _index_say())


def prompt(state: FlowState, ctx: Context) -> list[Say]:
    if state.step == "sms_warning" and not data_as(state, InfoData).sms_ok:
        return start(state, ctx).says
    return [_index_say()]


def handle(turn: Turn, state: FlowState, ctx: Context) -> FlowResult | None:
    choice = turn.choice or ""
    if choice == "info:sms_ok":
        return result(goto(state, "info", "index", InfoData(sms_ok=True)), _index_say())
    page = choice.removeprefix("info:")
    if choice.startswith("info:") and page in PAGES:
        if state.step == "sms_warning":
            return start(state, ctx)
        return result(goto(state, "info", "index", data_as(state, InfoData)), Say(f"programme.{page}", sensitive=True),
                      _index_say())
    return None
