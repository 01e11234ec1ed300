"""The periodic re-check of her contact route: "is this still a good way to reach you?"

Asked in cover wording every few weeks and after a quick exit. A "no" stops everything we would start
(the reply to her button still goes) and asks a worker to find another way to reach her.
"""

from __future__ import annotations

from flows.state import FlowState, result, to_menu
from flows.types import Context, FlowResult, Option, PauseOutbound, RaiseEscalation, Say

CHOICES = ("route:ok", "route:no")
OPTIONS = (Option("route:ok", "route.opt_yes"), Option("route:no", "route.opt_no"))


def question() -> Say:
    return Say("route.check", {"tip": 0}, OPTIONS)


def handle(choice: str | None, state: FlowState, ctx: Context) -> FlowResult | None:
    if choice not in CHOICES:
        return None
    st = to_menu(state).but(route_checked_at=ctx.now)
    if choice == "route:ok":
        return result(st, Say("route.thanks"))
    return result(st, Say("route.paused"),
                  effects=[PauseOutbound("route_unsafe"), RaiseEscalation("routine", "route_unsafe")])
