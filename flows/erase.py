"""Delete my data: asked twice, then an EraseRequested effect. The erasure itself belongs to the
safety layer; this flow only makes sure she meant it (a slip of the thumb must not erase her)."""

from __future__ import annotations

from flows.state import FlowState, Turn, goto, result
from flows.types import Context, EraseRequested, FlowResult, Option, Say

NOT_NOW = Option("menu:main", "erase.opt_keep")


def start(state: FlowState, ctx: Context) -> FlowResult:
    first = Say("erase.confirm_first", options=(Option("erase:1", "erase.opt_first"), NOT_NOW))
    return result(goto(state, "erase", "first"), first)


def prompt(state: FlowState, ctx: Context) -> list[Say]:
    if state.step == "second":
        return [Say("erase.confirm_second", options=(Option("erase:2", "erase.opt_second"), NOT_NOW))]
    return start(state, ctx).says


def handle(turn: Turn, state: FlowState, ctx: Context) -> FlowResult | None:
    step, choice = state.step, turn.choice
    if step == "first" and choice == "erase:1":
        return result(goto(state, "erase", "second"), *prompt(goto(state, "erase", "second"), ctx))
    if step == "second" and choice == "erase:2":
        st = goto(state, "erased", "main").but(unlocked_until=None)
        return result(st, Say("erase.requested"), effects=[EraseRequested()])
    if choice in ("erase:1", "erase:2"):  # an old button from an earlier attempt: start over
        return start(state, ctx)
    return None
