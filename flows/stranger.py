"""Anyone we do not know gets one neutral reply that reveals nothing about the service.

The reply names what the channel is ("this number" by SMS, "this chat" in a chat app) and is in
German when her message looks German (we cannot know a stranger's locale), else in English. A
message that is an invitation code says nothing of her language: its letters are not words.
"""

from __future__ import annotations

import re

from flows.capabilities import ChannelCapabilities
from flows.flow_state import FlowState
from flows.invitation_code import extract_code
from flows.types import FlowResult, Say

GERMAN_WORDS = frozenset({
    "hallo", "ich", "bin", "du", "sie", "wer", "ist", "das", "da", "und", "nicht", "bitte", "danke", "guten",
    "tag", "morgen", "abend", "hilfe", "ja", "nein", "was", "wie", "warum", "meine", "mein", "nummer", "hier",
    "eine", "ein", "der", "die", "mit", "auf", "wo", "bist", "habe", "hab", "kann", "stopp", "raus", "moin",
    "servus", "grüß", "gott", "tschüss",
})
_WORD = re.compile(r"[^\W\d_]+")


def guess_locale(text: str | None) -> str:
    """'de' when the text has German letters or mostly German words, else 'en'."""
    if not text or extract_code(text) is not None:
        return "en"
    if any(c in text for c in "äöüßÄÖÜ"):
        return "de"
    words = [w.casefold() for w in _WORD.findall(text)]
    german = sum(1 for w in words if w in GERMAN_WORDS)
    return "de" if words and german * 2 >= len(words) else "en"


def stranger_key(caps: ChannelCapabilities) -> str:
    """"This number" where her address is a phone number, else "this chat"."""
    return "stranger.neutral" if caps.phone_address else "stranger.neutral_chat"


def reply_to_stranger(caps: ChannelCapabilities) -> FlowResult:
    return FlowResult(state=FlowState(), says=[Say(stranger_key(caps))])
