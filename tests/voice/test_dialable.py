"""Her number as she typed it, dialled in international form (bot/voice/calls.py)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("typed, country, number", [
    ("+44 7700 900123", "GB", "+447700900123"), ("07700 900123", "GB", "+447700900123"),
    ("0170 1234567", "DE", "+491701234567"), ("0049 170 1234567", "GB", "+491701234567"),
    ("07700 900123", "FR", None), ("12", "GB", None), (None, "GB", None),
])
def test_her_typed_number_is_dialled_in_international_form(typed, country, number) -> None:
    from bot.voice.calls import dialable

    assert dialable(typed, country) == number
