"""Which programme events make an urgent notice: a small rule over data (content/programme_events.yaml,
the one place a kind's urgency is stated).

Urgent means four eyes before it leaves, sent at once (still behind the neutral preview), and an
escalation when she has not acknowledged it in time. The `excluded` kind depends on its reason
class; a reason class the table does not know is treated as urgent (a typo must not skip the
second approval), while no reason class at all means `other`.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from content.programme_events import default_kinds

OTHER = "other"

UrgencyTable = Mapping[str, Any]  # kind -> "urgent" | "routine" | {reason_class: "urgent" | "routine"}


@cache
def default_table() -> UrgencyTable:
    """Each programme event kind's urgency, by reason class where the kind has them."""
    kinds = default_kinds()
    return {code: {rc: kinds.urgency(code, rc) for rc in spec.reason_classes} if spec.reason_classes
            else spec.urgency for code, spec in kinds.kinds.items()}


def kinds(table: UrgencyTable | None = None) -> tuple[str, ...]:
    return tuple((table if table is not None else default_table()).keys())


def reason_classes(kind: str, table: UrgencyTable | None = None) -> tuple[str, ...]:
    """The reason classes a kind is told apart by (empty for most kinds)."""
    entry = (table if table is not None else default_table()).get(kind)
    return tuple(entry) if isinstance(entry, Mapping) else ()


def known(kind: str, table: UrgencyTable | None = None) -> bool:
    return kind in (table if table is not None else default_table())


def is_urgent(kind: str, reason_class: str | None = None, table: UrgencyTable | None = None) -> bool:
    """True for an urgent kind (or reason class). An unknown kind is urgent too: never less care."""
    entry = (table if table is not None else default_table()).get(kind)
    if entry is None:
        return True
    if isinstance(entry, Mapping):
        level = entry.get(reason_class or OTHER)
        return level != "routine"
    return entry != "routine"
