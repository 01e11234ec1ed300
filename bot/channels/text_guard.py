"""Inbound text checked at the edge, before anything stores it.

A provider can hand us text Python holds but a database or an encoder will not: a lone surrogate
(JSON's "\\ud800") cannot be encoded as UTF-8 for encryption, and PostgreSQL refuses NUL in text.
Either used to end in a 500, which Telegram and Twilio answer by delivering the same update again,
for ever. Her words are kept with each bad character replaced by U+FFFD and the row marked; an
identifier (a provider id, a number, a chat id) that is malformed is refused with a 4xx instead,
because a "repaired" identifier would be someone else's.
"""

from __future__ import annotations

import re
from dataclasses import replace

from bot.channels.base import InboundEvent

REPLACEMENT = "\ufffd"
# lone surrogates, NUL and the other C0 controls except tab, newline and carriage return
_BAD_TEXT = re.compile("[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BAD_ID = re.compile("[\ud800-\udfff\x00-\x1f\x7f]")
MAX_ID = 64


class InvalidInbound(ValueError):
    """A delivery whose identifiers cannot be stored as given; answered with 400, never stored.
    The message names the field, never its value."""


def repair(text: str | None) -> tuple[str | None, bool]:
    """`text` with every character a database or UTF-8 cannot hold replaced; and whether any was."""
    if text is None:
        return None, False
    fixed, count = _BAD_TEXT.subn(REPLACEMENT, text)
    return fixed, count > 0


def valid_identifier(value: str | None, *, max_length: int = MAX_ID) -> bool:
    return bool(value) and len(value or "") <= max_length and not _BAD_ID.search(value or "")


def checked(event: InboundEvent) -> tuple[InboundEvent, bool]:
    """The event safe to store, and whether its text had to be repaired; `InvalidInbound` when an
    identifier is malformed."""
    if not valid_identifier(event.provider_id):
        raise InvalidInbound("provider id is empty, too long or holds control or invalid characters")
    if not valid_identifier(event.address, max_length=256):
        raise InvalidInbound("sender address is empty, too long or holds control or invalid characters")
    if event.provider_message_id is not None and not valid_identifier(event.provider_message_id):
        raise InvalidInbound("provider message id holds control or invalid characters")
    text, text_fixed = repair(event.text)
    button, button_fixed = repair(event.button)
    if not (text_fixed or button_fixed):
        return event, False
    return replace(event, text=text, button=button), True
