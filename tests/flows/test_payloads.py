"""Button payloads pack and unpack themselves; what goes on the wire is what older messages carry."""

from __future__ import annotations

import pytest

from flows.payloads import QuestionButton, WaveButton, wave_instance_of


@pytest.mark.parametrize(("button", "wire"), [
    (WaveButton(12, "start"), "wave:12:start"),
    (WaveButton(12, "later"), "wave:12:later"),
    (QuestionButton.answer(7, "afraid", "often"), "cq:7:afraid:often"),
    (QuestionButton(7, "skip"), "cq:7:skip"),
    (QuestionButton(7, "later"), "cq:7:later"),
])
def test_a_button_packs_to_the_payload_older_messages_carry_and_unpacks_to_itself(
        button: WaveButton | QuestionButton, wire: str) -> None:
    assert button.pack() == wire
    assert type(button).unpack(wire) == button
    assert len(wire.encode()) <= 64  # Telegram's limit on callback data


@pytest.mark.parametrize("payload", ["menu:main", "wave:12", "wave:12:again", "wave:x:start", "wave:012:start",
                                     None, 5, "cq:x:skip", "cq:7", "lang:de"])
def test_another_kind_of_payload_is_not_a_wave_button(payload: object) -> None:
    assert WaveButton.unpack(payload) is None


def test_a_malformed_answer_unpacks_with_an_empty_code_that_answers_nothing() -> None:
    assert QuestionButton.unpack("cq:7:afraid") == QuestionButton.answer(7, "afraid", "")


def test_either_kind_names_its_wave() -> None:
    assert wave_instance_of("wave:3:later") == wave_instance_of("cq:3:afraid:never") == 3
    assert wave_instance_of("menu:callback") is None
