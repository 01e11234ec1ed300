"""What an invitation code looks like: how it is made (bot.enrolment) and found in her message
(onboarding), and why a message that is one says nothing of her language (flows.stranger)."""

from __future__ import annotations

import re

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L, U: easy to read out on the phone
CODE_LENGTH = 8
_CODE = re.compile(rf"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")


def extract_code(text: str | None) -> str | None:
    """The invitation code in a message ("/start K7QM4TXP", "k7qm-4txp", "K7QM 4TXP"), normalised."""
    if not text:
        return None
    body = text.strip()
    if body.casefold().startswith("/start"):
        body = body[len("/start"):]
    compact = re.sub(r"[\s\-_]", "", body).upper()
    return compact if _CODE.match(compact) else None
