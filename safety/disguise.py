"""Disguise: every message to an enrolled survivor starts with her cover, and cover wording never
names what the service is about.

Rules (checked for every text of every flow by tests/conversations/test_sensitive_words.py):
  * Every message to an enrolled survivor starts with a prefix: her persona's title (the cover),
    or, in plain mode which she chose, the service's plain title.
  * With the cover on, the whole text and every button label of anything that can be sent
    without her PIN is free of the locale's sensitive words.
  * Explicit pages shown only after her PIN (programme information) are allowed to name things,
    because she asked to read them; but their first PREVIEW_CHARS characters, which a lock screen
    or chat list shows, are cover title plus a neutral lead line, and they expire from the chat.
  * Plain mode is her informed choice: texts may be explicit, and still start with the title.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

DEFAULT_PERSONA = "weather"
PLAIN = "_plain"
PREVIEW_CHARS = 100  # what lock screens and chat lists show of a message, at most (brief: 100)


@dataclass(frozen=True)
class Disguise:
    persona: str = DEFAULT_PERSONA
    plain: bool = False

    @classmethod
    def of(cls, persona: str | None, plain_mode: bool | None) -> Disguise:
        return cls(persona or DEFAULT_PERSONA, bool(plain_mode))

    @property
    def title_key(self) -> str:
        return PLAIN if self.plain else self.persona


def variant(value: Any, plain: bool) -> str:
    """A text is a string, or {cover: ..., plain: ...}; plain mode uses `plain` where there is one."""
    if isinstance(value, dict):
        if plain and "plain" in value:
            return str(value["plain"])
        return str(value["cover"])
    return str(value)


def wrap(title: str, body: str, lead: str | None = None) -> str:
    """Title first (the lock-screen preview), then an optional neutral lead, then the text."""
    parts = [title, lead, body] if lead else [title, body]
    return "\n".join(p for p in parts if p)


def word_pattern(words: Iterable[str]) -> re.Pattern[str]:
    """Each entry matches at the start of a word ("violen" finds violence and violent)."""
    alternatives = sorted({w.casefold().strip() for w in words if w and w.strip()}, key=len, reverse=True)
    if not alternatives:
        return re.compile(r"(?!x)x")
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in alternatives) + r")\w*", re.IGNORECASE)


def sensitive_hits(text: str, pattern: re.Pattern[str]) -> list[str]:
    return [m.group(0) for m in pattern.finditer(text.replace("’", "'"))]


def preview(text: str, chars: int = PREVIEW_CHARS) -> str:
    """What a lock screen shows: whitespace collapsed, the first `chars` characters."""
    return re.sub(r"\s+", " ", text).strip()[:chars]


def preview_parts(text: str, chars: int = PREVIEW_CHARS) -> list[str]:
    """What a notification can show of a message: its first line (the cover title), its second
    line (a two-line notification), and its first `chars` characters (a lock screen, a chat list)."""
    lines = [line for line in text.splitlines() if line.strip()]
    return [*lines[:2], preview(text, chars)]


def number_pattern(numbers: Iterable[str]) -> re.Pattern[str]:
    """Matches any of these phone numbers however it is spaced, never inside a longer number."""
    alternatives = sorted({re.sub(r"\D", "", n) for n in numbers if len(re.sub(r"\D", "", n)) >= 3},
                          key=len, reverse=True)
    if not alternatives:
        return re.compile(r"(?!x)x")
    spaced = [r"[\s\-]?".join(digits) for digits in alternatives]
    return re.compile(r"(?<!\d)(?:" + "|".join(spaced) + r")(?!\d)")


def revealing_preview(text: str, words: re.Pattern[str], numbers: re.Pattern[str]) -> list[str]:
    """Sensitive words or emergency numbers where a notification or lock screen shows them."""
    hits: list[str] = []
    for part in preview_parts(text):
        hits += sensitive_hits(part, words) + [m.group(0) for m in numbers.finditer(part)]
    return hits
