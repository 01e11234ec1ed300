"""The held-out sets are never trained on: no test example appears in the training data."""

from __future__ import annotations

import re

import pytest

from content.text import fold_for_features as normalise
from nlu import harder_test_file, training_dir
from nlu.data import load_training_data, training_files


def _key(text: str) -> str:
    """Compare as the model sees text: case, umlauts, apostrophes and punctuation folded."""
    return " ".join(re.sub(r"[^\w ]", " ", normalise(text)).split())


@pytest.mark.parametrize("locale", ["en", "de"])
def test_no_test_example_appears_in_the_training_data(locale: str) -> None:
    trained = {_key(e.text) for e in load_training_data(training_dir(locale)).examples}
    leaked = [e.text for e in load_training_data(harder_test_file(locale)).examples if _key(e.text) in trained]
    assert leaked == [], f"test examples found in training data: {leaked}"


@pytest.mark.parametrize("locale", ["en", "de"])
def test_the_test_folder_is_not_read_as_training_data(locale: str) -> None:
    files = training_files(training_dir(locale))
    assert files, "no training files found"
    assert harder_test_file(locale) not in files
    assert all("test" not in f.relative_to(training_dir(locale)).parts for f in files)


@pytest.mark.parametrize(("locale", "at_least"), [("en", 300), ("de", 200)])
def test_the_test_sets_are_large_and_a_third_danger(locale: str, at_least: int) -> None:
    examples = load_training_data(harder_test_file(locale)).examples
    danger = sum(1 for e in examples if e.intent == "danger_now")
    assert len(examples) >= at_least
    assert danger * 3 >= len(examples) - 3, (danger, len(examples))


@pytest.mark.parametrize("locale", ["en", "de"])
def test_no_dev_example_appears_in_the_training_data(locale: str) -> None:
    """tests/nlu/data/dev*_<locale>.yml guide work by kind (issue 23); they are never trained on either."""
    from pathlib import Path

    trained = {_key(e.text) for e in load_training_data(training_dir(locale)).examples}
    devs = sorted((Path(__file__).parent / "data").glob(f"dev*_{locale}.yml"))  # dev, dev2, dev3: one per round
    assert len(devs) >= 3
    texts = [e.text for dev in devs for e in load_training_data(dev).examples]
    leaked = [t for t in texts if _key(t) and _key(t) in trained]
    assert leaked == [], f"dev examples found in training data: {leaked}"
