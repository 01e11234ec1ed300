"""Embedded classifier: Rasa's parse shape, the fallback threshold, entities, the cache."""

from __future__ import annotations

import copy
import json
import logging
from pathlib import Path

import pytest

from nlu.classifier import DEFAULT_THRESHOLD, FALLBACK_INTENT, EmbeddedClassifier, cache_key, load_or_train


def assert_rasa_shape(parse: dict, text: str) -> None:
    """The documented /model/parse answer: text, intent{name, confidence}, intent_ranking, entities."""
    assert set(parse) >= {"text", "intent", "intent_ranking", "entities"}
    assert parse["text"] == text
    assert set(parse["intent"]) == {"name", "confidence"}
    assert isinstance(parse["intent"]["name"], str)
    assert 0.0 <= parse["intent"]["confidence"] <= 1.0
    assert isinstance(parse["entities"], list)
    ranking = parse["intent_ranking"]
    assert 1 <= len(ranking) <= 10
    assert all(set(r) == {"name", "confidence"} for r in ranking)
    confidences = [r["confidence"] for r in ranking if r["name"] != FALLBACK_INTENT]
    assert confidences == sorted(confidences, reverse=True)
    json.dumps(parse)  # plain JSON types only


@pytest.mark.parametrize(
    ("locale", "text", "intent"),
    [
        ("en", "hello", "greet"),
        ("en", "please call me back", "request_callback"),
        ("en", "delete all my data", "delete_data"),
        ("en", "he hit me last night", "report_incident"),
        ("en", "i'm scared", "feeling_unsafe"),
        ("en", "stop", "stop"),
        ("de", "hallo", "greet"),
        ("de", "bitte ruf mich an", "request_callback"),
        ("de", "löschen sie meine daten", "delete_data"),
        ("de", "er hat mich gestern geschlagen", "report_incident"),
        ("de", "ich habe angst", "feeling_unsafe"),
    ],
)
def test_parse_shape_and_obvious_intents(
    en_model: EmbeddedClassifier, de_model: EmbeddedClassifier, locale: str, text: str, intent: str
) -> None:
    model = en_model if locale == "en" else de_model
    parse = model.parse(text)
    assert_rasa_shape(parse, text)
    assert parse["intent"]["name"] == intent
    assert parse["intent"] == parse["intent_ranking"][0]


def test_robust_to_case_umlauts_and_typos(de_model: EmbeddedClassifier, en_model: EmbeddedClassifier) -> None:
    assert de_model.parse("LÖSCHEN SIE MEINE DATEN")["intent"]["name"] == "delete_data"
    assert de_model.parse("loeschen sie meine daten")["intent"]["name"] == "delete_data"
    assert en_model.parse("pls cal me bak")["intent"]["name"] == "request_callback"


@pytest.mark.parametrize("text", ["asdfgh qwerty", "zzzz", "🙂🙂"])
def test_gibberish_falls_back_below_threshold(en_model: EmbeddedClassifier, text: str) -> None:
    parse = en_model.parse(text)
    assert_rasa_shape(parse, text)
    assert parse["intent"] == {"name": FALLBACK_INTENT, "confidence": DEFAULT_THRESHOLD}
    assert parse["intent_ranking"][0] == parse["intent"]
    assert all(r["confidence"] < DEFAULT_THRESHOLD for r in parse["intent_ranking"][1:])


def test_threshold_decides_the_fallback(en_model: EmbeddedClassifier) -> None:
    strict = copy.copy(en_model)
    strict.threshold = 0.999
    parse = strict.parse("could you phone me")
    assert parse["intent"]["name"] == FALLBACK_INTENT
    assert parse["intent"]["confidence"] == 0.999
    assert parse["intent_ranking"][1]["name"] == "request_callback"


def test_empty_text_is_a_fallback(en_model: EmbeddedClassifier) -> None:
    parse = en_model.parse("   ")
    assert parse["intent"]["name"] == FALLBACK_INTENT
    assert parse["entities"] == []


def test_parse_many_matches_parse(en_model: EmbeddedClassifier) -> None:
    texts = ["hi", "", "call me", "he is here"]
    assert en_model.parse_many(texts) == [en_model.parse(t) for t in texts]


def test_entities_from_regex_lookup_and_synonyms(en_model: EmbeddedClassifier, de_model: EmbeddedClassifier) -> None:
    parse = en_model.parse("call me tomorrow at 3pm, or tonight")
    found = {(e["entity"], e["value"]) for e in parse["entities"]}
    assert found == {("day", "tomorrow"), ("time", "3pm"), ("daypart", "evening")}
    tonight = next(e for e in parse["entities"] if e["entity"] == "daypart")
    assert parse["text"][tonight["start"] : tonight["end"]] == "tonight"
    assert tonight["processors"] == ["EntitySynonymMapper"]
    de = de_model.parse("ruf mich samstags um 15 uhr an")
    assert {(e["entity"], e["value"]) for e in de["entities"]} == {("day", "samstag"), ("time", "15 uhr")}


SMALL_TRAINING_SET = """version: "3.1"
nlu:
- intent: greet
  examples: |
    - hello
    - hi there
    - good morning
- intent: thanks
  examples: |
    - thank you
    - thanks a lot
    - cheers
"""


def test_cache_is_keyed_by_training_data(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    data = tmp_path / "data"  # a small training set: the subject is the cache, not the model
    data.mkdir()
    (data / "nlu.yml").write_text(SMALL_TRAINING_SET, encoding="utf-8")
    cache = tmp_path / "cache"
    model, trained = load_or_train("en", data, cache)
    assert trained
    assert (cache / f"en-{cache_key(data)}.npz").exists()
    again, trained = load_or_train("en", data, cache)
    assert not trained
    assert again.parse("hello") == model.parse("hello")

    # a changed training file is a new key: retrained, old artefact left alone
    nlu_file = data / "nlu.yml"
    nlu_file.write_text(nlu_file.read_text(encoding="utf-8") + "    - see you\n", encoding="utf-8")
    _, trained = load_or_train("en", data, cache)
    assert trained
    assert len(list(cache.glob("en-*.npz"))) == 2

    # a corrupt artefact is replaced, with a warning that names no text
    artefact = cache / f"en-{cache_key(data)}.npz"
    artefact.write_bytes(b"not an npz")
    with caplog.at_level(logging.WARNING):
        _, trained = load_or_train("en", data, cache)
    assert trained
    assert "unreadable" in caplog.text
