"""Codes, phone numbers and contact windows as she might type them."""

from __future__ import annotations

import pytest

from bot.channels.registry import capabilities
from flows.callback import normalise_phone
from flows.invitation_code import extract_code
from flows.keywords import SMS_STOP, keyword
from flows.onboarding import begin
from flows.stranger import guess_locale
from flows.types import Context, DeclineInvitation, Enrol, Invite, RejectCode, UserInput
from flows.windows import parse
from tests.flows.conftest import NOW

SMS = capabilities("sms")


@pytest.mark.parametrize("text", ["K7QM-4TXP", "k7qm 4txp", "/start K7QM4TXP", " K7QM4TXP "])
def test_an_invitation_code_is_found_however_it_is_typed(text: str) -> None:
    assert extract_code(text) == "K7QM4TXP"


@pytest.mark.parametrize("text", ["hello", "K7QM-4TX", "K7QM-4TXPP", "I0L1-OOOO", "", None])
def test_other_text_is_not_a_code(text: str | None) -> None:
    assert extract_code(text) is None


def test_a_stranger_with_a_wrong_code_gets_the_neutral_reply_and_is_counted() -> None:
    for status in ("unknown", "used", "expired", "limited"):
        res = begin(UserInput("sms", NOW, text="K7QM-4TXP"), Context(now=NOW, channel="sms", caps=SMS,
                                                                      invite=Invite(status)))
        assert [s.key for s in res.says] == ["stranger.neutral"] and res.effects == [RejectCode(status)]
    plain = begin(UserInput("sms", NOW, text="hi"), Context(now=NOW, channel="sms", caps=SMS, invite=Invite("none")))
    assert plain.effects == []


def test_a_valid_invitation_enrols_and_opens_with_the_safety_warning() -> None:
    res = begin(UserInput("telegram", NOW, text="/start K7QM4TXP"),
                Context(now=NOW, channel="telegram", caps=capabilities("telegram"), invite=Invite("valid", 7)))
    assert res.effects == [Enrol(7)] and res.says[0].key == "onboarding.warning"


def test_an_invited_number_can_say_stop_to_the_opt_in() -> None:
    res = begin(UserInput("sms", NOW, text="STOP"),
                Context(now=NOW, channel="sms", caps=SMS, invite=Invite("valid", 7, by_address=True)))
    assert res.effects == [DeclineInvitation(7)]


@pytest.mark.parametrize(("text", "expected"), [
    ("+44 7700 900123", "+447700900123"), ("07700 900123", "07700900123"), ("0170/1234567", None),
    ("0170-123 4567", "01701234567"), ("12", None), ("call me", None),
])
def test_phone_numbers(text: str, expected: str | None) -> None:
    assert normalise_phone(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Mon-Fri 9-12", {"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "12:00"}),
    ("tue 14:00-16:30", {"days": [1], "start": "14:00", "end": "16:30"}),
    ("Sa 10.30-14 Uhr", {"days": [5], "start": "10:30", "end": "14:00"}),
    ("weekends 10-16", {"days": [5, 6], "start": "10:00", "end": "16:00"}),
    ("Fr-Mo 18-20", {"days": [0, 4, 5, 6], "start": "18:00", "end": "20:00"}),
    ("Mon 12-9", None), ("whenever", None), ("Mon 25-26", None),
])
def test_contact_windows_as_typed(text: str, expected: dict | None) -> None:
    assert parse(text) == expected


def test_keywords_are_case_and_punctuation_blind() -> None:
    assert keyword(" Stop! ") == "stop"
    assert keyword("EXIT", SMS_STOP) == "exit"
    assert keyword("stopping by later", SMS_STOP) is None


def test_an_invitation_code_spelling_german_words_is_not_taken_for_german() -> None:
    assert guess_locale("das wer") == "de"
    assert guess_locale("DAS2-WER7") == "en"  # a used or wrong code gets the neutral reply everyone gets
