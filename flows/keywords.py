"""Words that work from any state, in either language, whatever the flow is waiting for.

Stop must always work (carriers require it on SMS), and so must quick exit and the emergency
numbers: they are checked before any flow sees the input. Where the carrier has an opt-out list of its
own (the channel's `carrier_stop_words`: SMS) its whole list counts as stop; elsewhere only "stop"
itself does, so "cancel" inside a flow is not an opt-out.

A command is the whole message and nothing else ("STOP", "stop!", " 'Exit' ", "🚪 Exit"): case,
spaces and the punctuation, quotes or emoji around it do not count; a word inside a sentence ("i
just want it to stop") is never a command. It is free text, and what the NLU makes of it can only
*offer* quick exit, stop or erasure (flows/fallback.py): nothing deletes, silences or erases on a guess.
"""

from __future__ import annotations

import re
from typing import Literal

from content.text import fold

Keyword = Literal["stop", "start", "help", "exit", "numbers", "menu"]

SMS_STOP = frozenset(  # the carriers' opt-out words (bot/channels/registry.py gives them to SMS)
    {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout", "revoke"})
STOP = frozenset({"stop", "/stop", "stopp"})
START = frozenset({"start", "/start", "unstop", "resume"})
HELP = frozenset({"help", "/help", "info", "hilfe"})
EXIT = frozenset({"exit", "/exit", "x", "/x", "raus"})
NUMBERS = frozenset({"numbers", "/numbers", "sos", "nummern", "notruf"})
MENU = frozenset({"menu", "/menu", "menü", "0"})

YES = frozenset({"yes", "y", "ok", "okay", "continue", "ja", "j", "weiter", "gut"})
NO = frozenset({"no", "n", "nein", "not now", "nicht jetzt"})


_AROUND = re.compile(r"^[^\w/]+|[^\w]+$")


def command_word(text: str | None) -> str:
    """The message as a command: folded (content.text.fold), with punctuation, quotes and emoji
    around it dropped. A sentence stays a sentence, so it matches no command."""
    return _AROUND.sub("", fold(text))


def keyword(text: str | None, carrier_stop_words: frozenset[str] = frozenset()) -> Keyword | None:
    """The command this whole message is, if it is exactly one (never a word found inside a sentence);
    `carrier_stop_words`: the channel's own opt-out words (its capability), stop as well."""
    word = command_word(text)
    if not word:
        return None
    if word in STOP or word in carrier_stop_words:
        return "stop"
    if word in START or word.startswith("/start "):
        return "start"
    for name, words in (("help", HELP), ("exit", EXIT), ("numbers", NUMBERS), ("menu", MENU)):
        if word in words:
            return name  # type: ignore[return-value]
    return None


def yes_no(text: str | None) -> Literal["yes", "no"] | None:
    word = fold(text)
    if word in YES:
        return "yes"
    if word in NO:
        return "no"
    return None


def has_letters(text: str | None) -> bool:
    return bool(text) and any(c.isalpha() for c in text or "")


def digits_only(text: str | None) -> str | None:
    """The digits of a PIN-like entry ("12 34" -> "1234"), or None if it holds anything else."""
    if not text:
        return None
    compact = re.sub(r"[\s\-]", "", text)
    return compact if compact.isdigit() else None
