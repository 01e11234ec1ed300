"""Button payloads that pack and unpack themselves, as aiogram's CallbackData does: a prefix and fields
joined by ":", read back into a typed value (or None when the payload is not of that kind).

What goes on the wire is exactly what was there before these classes, so a button under an old
message still works. Telegram allows 64 bytes of callback data: every payload here stays far below.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SEPARATOR = ":"
WaveAction = Literal["start", "later"]
WAVE_ACTIONS: tuple[WaveAction, ...] = ("start", "later")
QuestionAction = Literal["answer", "skip", "later"]


def _instance(text: str) -> int | None:
    """An instance id as we write it (digits, no leading zero), else None."""
    return int(text) if text.isdigit() and str(int(text)) == text else None


@dataclass(frozen=True)
class WaveButton:
    """Under a wave's opening: "wave:<instance>:start" (begin the questions) or ":later"."""

    instance_id: int
    action: WaveAction

    prefix = "wave"

    def pack(self) -> str:
        return SEPARATOR.join((self.prefix, str(self.instance_id), self.action))

    @classmethod
    def unpack(cls, payload: object) -> WaveButton | None:
        if not isinstance(payload, str):
            return None
        parts = payload.split(SEPARATOR)
        if len(parts) != 3 or parts[0] != cls.prefix or parts[2] not in WAVE_ACTIONS:
            return None
        instance = _instance(parts[1])
        return None if instance is None else cls(instance, parts[2])  # type: ignore[arg-type]


@dataclass(frozen=True)
class QuestionButton:
    """Under a check-in question: "cq:<instance>:<item>:<code>" (an answer), "cq:<instance>:skip" or
    "cq:<instance>:later" (pause)."""

    instance_id: int
    action: QuestionAction
    item: str | None = None
    code: str | None = None

    prefix = "cq"

    @classmethod
    def answer(cls, instance_id: int, item: str, code: str) -> QuestionButton:
        return cls(instance_id, "answer", item, code)

    def pack(self) -> str:
        if self.action == "answer":
            return SEPARATOR.join((self.prefix, str(self.instance_id), str(self.item), str(self.code)))
        return SEPARATOR.join((self.prefix, str(self.instance_id), self.action))

    @classmethod
    def unpack(cls, payload: object) -> QuestionButton | None:
        if not isinstance(payload, str):
            return None
        parts = payload.split(SEPARATOR, 3)
        if len(parts) < 3 or parts[0] != cls.prefix:
            return None
        instance = _instance(parts[1])
        if instance is None:
            return None
        if len(parts) == 3 and parts[2] in ("skip", "later"):
            return cls(instance, parts[2])  # type: ignore[arg-type]
        # "<item>:<code>"; a malformed one ("cq:5:x") unpacks with an empty code, which answers nothing
        return cls.answer(instance, parts[2], parts[3] if len(parts) == 4 else "")


def wave_instance_of(payload: object) -> int | None:
    """The wave instance a check-in button belongs to (either kind), or None."""
    button = WaveButton.unpack(payload) or QuestionButton.unpack(payload)
    return None if button is None else button.instance_id
