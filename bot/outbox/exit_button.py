"""Her exit button under every message of ours that carries buttons (where the channel has inline buttons).

Why here, at the moment of sending: every path that writes to her (a reply, a notice's preview, a
survey's opening, the route check, whatever is added later) goes through the dispatcher, so the rule
cannot be forgotten by one of them. At the most dangerous moment (the reply to "he is here" ends with
"Ring me") her one-tap exit must be on screen. SMS has no buttons: there EXIT is a word she types,
and a numbered line for it would shift the numbers of the options above it.
"""

from __future__ import annotations

from typing import Any

from bot import catalog
from bot.channels.base import Button
from bot.channels.registry import capabilities

EXIT_PAYLOAD = "menu:exit"  # the menu's own exit entry (flows/common.py MENU_OPTIONS): pressable from any state


def with_exit(buttons: tuple[Button, ...], channel: str, survivor: Any) -> tuple[Button, ...]:
    """`buttons` with her exit button last, unless they hold it already, are none, are not hers
    (staff, strangers) or go where buttons are numbered lines (no inline buttons: SMS)."""
    if not buttons or survivor is None or not capabilities(channel).inline_buttons:
        return buttons
    if any(b.payload == EXIT_PAYLOAD for b in buttons):
        return buttons
    label = catalog.text(survivor.locale, "menu.opt_exit", bool(survivor.plain_mode))
    return (*buttons, Button(EXIT_PAYLOAD, label))
