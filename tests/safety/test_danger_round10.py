"""Round 10 of issue 23: class rules, dialect read before the net, long messages read clause by clause.

Own wordings (never an item of a test, held-out or dev set); the model is left out (parse None), so each line
shows what the explicit rules alone do."""

import pytest

from safety.danger_decision import decide, read_dialect
from safety.danger_net import detect_danger
from tests.safety.rules_alone import rules_alone as _decide


@pytest.mark.parametrize("text", [
    "got a stash of pills in my coat pocket for when i need them",
    "i can't trust myself around the kitchen drawer tonight",
    "drove up to the cliff road, trying to pick which spot lol",
    "been burning my thighs with the lighter to feel something",
    "ich hab schon zwanzig schlaftabletten gesammelt",
    "bin nicht sicher ob ich heute nacht auf mich selbst aufpassen kann",
])
def test_self_harm_by_class_is_asked(text: str) -> None:
    d = _decide(text)
    assert d.caught and d.kind == "self_harm"


@pytest.mark.parametrize("text", [
    "someone keeps knocking on the bedroom window and it's half 4 in the morning",
    "the childminder handed our girl to him, there's a no contact order",
    "loft. kids with me",
    "rat mal wer grad in der Einfahrt parkt",
])
def test_danger_by_class_is_asked(text: str) -> None:
    assert _decide(text).caught


@pytest.mark.parametrize("text", [
    "cut my fringe myself, bit wonky",
    "guess who's coming for tea, my nan",
    "the postman was knocking on the door at 7am again",
    "i'd never hurt myself, i just feel low about the court date",
])
def test_ordinary_look_alikes_are_left(text: str) -> None:
    assert not _decide(text).caught


def test_dialect_read_before_the_net() -> None:
    assert read_dialect("er is do") == "er ist da"
    assert read_dialect("he is here") == "he is here"  # "is" stays English without German in the message
    assert _decide("er isch dusse und wott ine", "de").action == "alert"


def test_long_message_decided_clause_by_clause() -> None:
    text = ("hiya, quick update, the boiler man finally came, the kids loved the trip to the zoo and my sister "
            "sends her love, anyway he's smashing the back door in right now")
    assert _decide(text).caught


@pytest.mark.parametrize("text", [
    "he's gone totally mental, throwing plates, i'm locked in the bathroom",
    "wedged the wardrobe against the door, he's on the landing shouting",
])
def test_danger_wordings_of_round_10_are_caught(text: str) -> None:
    assert _decide(text).caught


def test_him_following_her_now_is_asked_with_an_unsure_model() -> None:
    text = "er ist mir bis nach Hause hinterhergefahren und steht jetzt vor dem Haus"
    unsure = {"intent": {"name": "feeling_unsafe", "confidence": 0.5},
              "intent_ranking": [{"name": "feeling_unsafe", "confidence": 0.5},
                                 {"name": "danger_now", "confidence": 0.1}]}
    assert decide(text, unsure, detect_danger(text, "de")).caught


def test_goodbye_with_thanks_in_the_past_tense_is_asked() -> None:
    d = _decide("take care everyone, you were always so kind to me")
    assert d.caught and d.kind == "self_harm"


def test_he_was_there_and_is_gone_now_is_no_alert() -> None:
    text = "he was parked outside mine on thursday night, gone now"
    sure = {"intent": {"name": "danger_now", "confidence": 0.8},
            "intent_ranking": [{"name": "danger_now", "confidence": 0.8}]}
    assert decide(text, sure, detect_danger(text, "en")).action != "alert"


def test_a_fear_of_him_turning_up_is_asked_not_alerted() -> None:
    text = "what if he's waiting outside the gym later"
    assert _decide(text).action != "alert"
