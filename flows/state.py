"""Helpers every flow uses on her typed conversation state (flows/flow_state.py: FlowState), and the
normalised input a flow sees. States are immutable: each helper returns a changed copy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flows.flow_state import (
    CallbackData,
    CheckinPosition,
    ConsentData,
    FlowName,
    FlowState,
    InfoData,
    NoData,
    PinData,
    data_as,
    load_state,
)
from flows.types import Context, Effect, FlowResult, Say, UserInput

__all__ = ["FLOW_TIMEOUT", "CallbackData", "CheckinPosition", "ConsentData", "FlowState", "InfoData", "NoData",
           "PinData", "Turn", "data_as", "finish", "goto", "is_unlocked", "load_state", "lock", "map_number",
           "parse_time", "result", "timed_out", "to_menu"]

FLOW_TIMEOUT = timedelta(minutes=30)
FlowData = NoData | PinData | CallbackData | ConsentData | InfoData


@dataclass(frozen=True)
class Turn:
    """One input after normalisation: `choice` is a payload (a button, or a number mapped back);
    `word` a keyword that works everywhere (flows.keywords, or her own quick-exit word), read only
    when there is no choice."""

    input: UserInput
    choice: str | None
    text: str | None
    word: str | None = None


def parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if not value or not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def goto(state: FlowState, flow: FlowName, step: str, data: FlowData | None = None) -> FlowState:
    """A copy of the state in another flow/step with fresh values for that flow."""
    return state.but(flow=flow, step=step, data=data or NoData())


def to_menu(state: FlowState) -> FlowState:
    return goto(state, "menu", "main")


def is_unlocked(state: FlowState, now: datetime) -> bool:
    return state.unlocked_until is not None and state.unlocked_until > now


def lock(state: FlowState) -> FlowState:
    return state.but(unlocked_until=None)


def timed_out(state: FlowState, now: datetime) -> bool:
    """A half-finished flow (anything but the menu) left alone for longer than FLOW_TIMEOUT."""
    if state.flow in (None, "menu", "onboarding"):
        return False
    return state.touched is not None and now - state.touched > FLOW_TIMEOUT


def finish(result: FlowResult, ctx: Context) -> FlowResult:
    """Stamp the state and remember the payloads of the options just shown (for numbered replies).

    Only the last message with options counts, so a flow shows at most one set per reply."""
    shown: tuple[str, ...] = ()
    for say in result.says:
        if say.options:
            shown = tuple(o.payload for o in say.options)
    return FlowResult(result.state.but(touched=ctx.now, options=shown), result.says, result.effects)


def map_number(state: FlowState, text: str | None) -> str | None:
    """'2' -> the payload of the second option shown last time (SMS numbered replies)."""
    if not text:
        return None
    word = text.strip().rstrip(".)")
    if not word.isdigit() or len(word) > 2:
        return None
    options = state.options or ()
    n = int(word)
    return options[n - 1] if 1 <= n <= len(options) else None


def result(state: FlowState, *says: Say, effects: list[Effect] | None = None) -> FlowResult:
    return FlowResult(state, list(says), list(effects or []))
