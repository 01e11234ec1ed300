"""The pure rules of a call to her (flows/phone_call.py): only "1" bridges, a machine is a machine,
what each outcome does to her call-back, and the whisper."""

from __future__ import annotations

import pytest

from flows.phone_call import final_outcome, her_key, is_machine, next_step, outcome_of_key, whisper
from safety.statuses import PHONE_CALL_OUTCOMES


@pytest.mark.parametrize("digits, key", [("1", "confirmed"), ("", "no_key"), (None, "no_key"), ("2", "wrong_key"),
                                         ("11", "wrong_key"), ("#", "wrong_key")])
def test_only_her_1_confirms(digits, key) -> None:
    assert her_key(digits) == key
    assert outcome_of_key(her_key(digits)) == ("confirmed" if key == "confirmed" else "not_confirmed")


@pytest.mark.parametrize("answered_by", ["machine_start", "machine_end_beep", "machine_end_silence",
                                         "machine_end_other", "fax", "MACHINE_START"])
def test_every_machine_answer_is_a_machine(answered_by) -> None:
    assert is_machine(answered_by)


@pytest.mark.parametrize("answered_by", ["human", "unknown", "", None])
def test_a_person_or_an_unsure_detection_hears_the_check(answered_by) -> None:
    assert not is_machine(answered_by)  # the check itself protects her: a machine never presses 1


def test_every_outcome_has_a_next_step_and_only_confirmed_closes_the_call_back() -> None:
    steps = {o: next_step(o) for o in PHONE_CALL_OUTCOMES}
    assert [o for o, s in steps.items() if s.close] == ["confirmed"]
    assert [o for o, s in steps.items() if s.worker_decides] == ["not_confirmed"]
    assert all(s.retry for o, s in steps.items() if o not in ("confirmed", "not_confirmed"))


def test_the_outcome_when_the_worker_leg_ends() -> None:
    assert final_outcome("machine", "completed", "completed", True) == "machine"
    assert final_outcome(None, "busy", "completed", True) == "busy"
    assert final_outcome(None, None, "no-answer", False) == "worker_unreachable"
    assert final_outcome(None, None, "completed", True) == "failed"
    assert final_outcome(None, None, "completed", True, her_answered=True) == "not_confirmed"


def test_the_whisper_names_her_safe_word_only_when_she_set_one() -> None:
    assert whisper("Sam", "ps-1", None, "check-in") == \
        "Calling Sam. Reason: check-in. She must press 1 before you are connected."
    assert "safe word is tulip" in whisper(None, "ps-1", "tulip", "")
    assert whisper(None, "ps-1", None, "").startswith("Calling ps-1.")

