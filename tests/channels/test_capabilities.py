"""Channels are told apart by what they can do, never by name: outside bot/channels/ no code compares
a channel's name, and each channel's capabilities sit in its one registry entry."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.channels import registry
from bot.channels.registry import UnknownChannel, capabilities

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "console", "flows", "safety", "scheduler", "evaluation", "liaison", "nlu")
# the issue-27 "done when" grep
NAME_CHECK = re.compile(r'== *"(sms|telegram|simulator)"|in \("sms"|in \("telegram"')


def test_no_code_outside_the_channels_asks_a_channel_by_its_name() -> None:
    found = [f"{path.relative_to(REPO)}:{n}"
             for package in PACKAGES for path in sorted((REPO / package).rglob("*.py"))
             if "bot/channels/" not in path.as_posix()
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
             if NAME_CHECK.search(line)]
    assert found == []


def test_every_registered_channel_says_what_it_can_do() -> None:
    assert registry.names() == ["simulator", "sms", "telegram"]
    sms, telegram = capabilities("sms"), capabilities("telegram")
    assert not sms.deletes_messages and sms.exit == "pause_outbound" and sms.silent_after_stop
    assert sms.phone_address and not sms.inline_buttons and "cancel" in sms.carrier_stop_words
    assert telegram.deletes_messages and telegram.delete_window is not None and telegram.deep_link
    assert not telegram.carrier_stop_words and telegram.exit == "delete_chat"


def test_a_channel_no_entry_names_is_an_error_not_a_guess() -> None:
    with pytest.raises(UnknownChannel):
        capabilities("carrier-pigeon")


def test_only_a_channel_for_testing_leaves_production_without_a_channel() -> None:
    assert [e.name for e in registry.CHANNELS if e.for_testing] == ["simulator"]
