"""Issue 22, items 8 and 10, pure parts: which messages get her exit button at sending, and the zone of
a number we know nothing else about (an SMS invitation's)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from bot.channels.base import Button
from bot.outbox.exit_button import with_exit
from safety.windows import zone_of_number

HER = SimpleNamespace(locale="de", plain_mode=False)
RING = (Button("menu:callback", "📞 Bitte anrufen"),)


@pytest.mark.parametrize("channel", ["telegram", "simulator"])
def test_a_message_with_buttons_gets_her_exit_button_last_in_her_language(channel: str) -> None:
    assert with_exit(RING, channel, HER) == (*RING, Button("menu:exit", "🚪 Raus"))


def test_her_exit_button_is_not_added_twice_nor_to_sms_nor_to_a_message_without_buttons_nor_to_staff() -> None:
    menu = (*RING, Button("menu:exit", "🚪 Raus"))
    assert with_exit(menu, "telegram", HER) == menu
    assert with_exit(RING, "sms", HER) == RING  # numbered lines: EXIT is a word there
    assert with_exit((), "telegram", HER) == ()
    assert with_exit(RING, "telegram", None) == RING  # not hers (a staff chat)


@pytest.mark.parametrize(("number", "zone"), [
    ("+447700900123", "Europe/London"), ("+353861234567", "Europe/Dublin"), ("+4915112345678", "Europe/Berlin"),
    ("+43664123456", "Europe/Vienna"), ("+12025550123", None), (None, None),
])
def test_an_invited_number_is_placed_in_its_country_zone(number: str | None, zone: str | None) -> None:
    assert zone_of_number(number) == zone
