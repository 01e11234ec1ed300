"""Her conversation state (stored encrypted in survivors.state) and the normalised input a flow sees.

The state is a plain JSON dict so it survives a restart and a schema-free change of flows:
  flow, step, data        where she is in which flow, and that flow's scratch values
  options                 payloads of the last options shown, so "2" maps back on SMS
  touched                 when the state last changed, for the half-finished-flow timeout
  unlocked_until          until when sensitive content is shown without asking for her PIN
  pin_failures, pin_locked_until    the wrong-PIN limit
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flows.types import Context, FlowResult, Say, UserInput

FLOW_TIMEOUT = timedelta(minutes=30)


@dataclass(frozen=True)
class Turn:
    """One input after normalisation: `choice` is a payload (a button, or a number mapped back);
    `word` a keyword that works everywhere (flows.keywords, or her own quick-exit word), read only
    when there is no choice."""

    input: UserInput
    choice: str | None
    text: str | None
    word: str | None = None


def iso(dt: datetime) -> str:
    return dt.isoformat()


def parse_time(value: Any) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def goto(state: dict[str, Any], flow: str, step: str, **data: Any) -> dict[str, Any]:
    """A copy of the state in another flow/step with fresh scratch data."""
    new = dict(state)
    new["flow"], new["step"], new["data"] = flow, step, dict(data)
    return new


def with_data(state: dict[str, Any], **data: Any) -> dict[str, Any]:
    new = dict(state)
    new["data"] = {**(state.get("data") or {}), **data}
    return new


def to_menu(state: dict[str, Any]) -> dict[str, Any]:
    return goto(state, "menu", "main")


def data(state: dict[str, Any]) -> dict[str, Any]:
    return dict(state.get("data") or {})


def is_unlocked(state: dict[str, Any], now: datetime) -> bool:
    until = parse_time(state.get("unlocked_until"))
    return until is not None and until > now


def lock(state: dict[str, Any]) -> dict[str, Any]:
    new = dict(state)
    new["unlocked_until"] = None
    return new


def timed_out(state: dict[str, Any], now: datetime) -> bool:
    """A half-finished flow (anything but the menu) left alone for longer than FLOW_TIMEOUT."""
    if state.get("flow") in (None, "menu", "onboarding"):
        return False
    touched = parse_time(state.get("touched"))
    return touched is not None and now - touched > FLOW_TIMEOUT


def finish(result: FlowResult, ctx: Context) -> FlowResult:
    """Stamp the state and remember the payloads of the options just shown (for numbered replies).

    Only the last message with options counts, so a flow shows at most one set per reply."""
    state = dict(result.state)
    state["touched"] = iso(ctx.now)
    shown: list[str] = []
    for say in result.says:
        if say.options:
            shown = [o.payload for o in say.options]
    state["options"] = shown
    return FlowResult(state, result.says, result.effects)


def map_number(state: dict[str, Any], text: str | None) -> str | None:
    """'2' -> the payload of the second option shown last time (SMS numbered replies)."""
    if not text:
        return None
    word = text.strip().rstrip(".)")
    if not word.isdigit() or len(word) > 2:
        return None
    options = state.get("options") or []
    n = int(word)
    return options[n - 1] if 1 <= n <= len(options) else None


def result(state: dict[str, Any], *says: Say, effects: list[Any] | None = None) -> FlowResult:
    return FlowResult(state, list(says), list(effects or []))
