"""Which of her programme milestones an event sets (pure), so her check-in waves follow the real
programme. What the kind moves is data (`moves` in content/programme_events.yaml); saving, checking
the whole set and replanning are the milestone code's (bot/programme/milestones.py).

Events can arrive late and out of order: an event never moves a milestone back before a later date
already recorded (a `started` from last year does not undo this year's; an old `dropped_out` does
not overwrite a later `completed`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from content.programme_events import KindSpec


def milestone_values(spec: KindSpec, occurred_on: date, expected_end: date | None,
                     current: Mapping[str, object | None]) -> dict[str, object]:
    """The milestone fields to set for one event, given her current milestones."""
    moves = spec.moves
    if moves is None:
        return {}

    def newer_recorded(name: str) -> bool:
        held = current.get(name)
        return isinstance(held, date) and held > occurred_on

    out: dict[str, object] = {}
    if moves.programme_start:
        if not newer_recorded("programme_start"):
            out["programme_start"] = occurred_on
            if moves.expected_end and expected_end is not None:
                out["expected_end"] = expected_end
    elif moves.expected_end and expected_end is not None:  # a kind that only changes the expected end
        out["expected_end"] = expected_end
    if moves.actual_end and moves.outcome and not newer_recorded("actual_end"):
        out["actual_end"] = occurred_on
        out["outcome"] = moves.outcome
    return out
