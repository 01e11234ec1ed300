"""What flows take and return: plain data, no I/O.

A flow gets an inbound event and the survivor's state and returns the new state, the semantic
messages to send (text keys, options, sensitivity) and effects for the service to carry out
(escalations, consent records, call-back requests) in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class UserInput:
    """What she did, independent of channel."""

    channel: str
    at: datetime
    text: str | None = None
    button: str | None = None


@dataclass(frozen=True)
class Option:
    payload: str
    label_key: str


@dataclass(frozen=True)
class Say:
    """One outbound message by content key; the channel renders options as it can."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)
    options: tuple[Option, ...] = ()
    sensitive: bool = False
    urgent: bool = False  # emergency information she asked for: never held by contact windows


@dataclass(frozen=True)
class RaiseEscalation:
    priority: str  # urgent / high / routine
    reason: str
    child_protection: bool = False


@dataclass
class FlowResult:
    state: dict[str, Any]
    says: list[Say] = field(default_factory=list)
    effects: list[Any] = field(default_factory=list)
