"""Hashed features, German compounds, typo augmentation, and a served model without scikit-learn."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from nlu.augment import augment
from nlu.features import hashed_features, split_compound, word_tokens

ROOT = Path(__file__).resolve().parents[2]


def test_a_german_compound_is_split_into_the_words_it_is_made_of() -> None:
    vocabulary = frozenset({"wohnung", "tuer", "kinder", "zimmer", "haus"})
    assert split_compound("wohnungstuer", vocabulary) == ["wohnung", "tuer"]  # with the linking s
    assert split_compound("kinderzimmer", vocabulary) == ["kinder", "zimmer"]
    assert split_compound("zimmerpflanze", vocabulary) == []  # an unknown head: left alone
    assert word_tokens("er tritt die wohnungstuer ein", vocabulary)[-4:-1] == ["wohnungstuer", "wohnung", "tuer"]


def test_features_are_stable_across_processes() -> None:
    """CRC-32 buckets, not hash(): a model trained in one process serves in another."""
    here = hashed_features("hes outside", frozenset(), [])
    code = "from nlu.features import hashed_features; print(sorted(hashed_features('hes outside', frozenset(), [])))"
    there = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                           env={"PYTHONPATH": str(ROOT), "PYTHONHASHSEED": "123"})
    assert there.stdout.strip() == str(sorted(here))


def test_typo_augmentation_is_reproducible_and_keeps_the_intent() -> None:
    examples = [("he is outside my house", "danger_now"), ("please call me tomorrow", "request_callback")]
    first, second = augment(examples, "en"), augment(examples, "en")
    assert first == second
    assert first[:2] == examples and len(first) > len(examples)
    assert {intent for text, intent in first if text.startswith("please") or "call" in text} <= {"request_callback"}
    assert all(text != original for (text, _), (original, _) in zip(first[2:], examples * 2, strict=False))


def test_the_served_model_needs_neither_scikit_learn_nor_scipy(en_model: object, nlu_cache: Path) -> None:
    code = (
        "import sys; from nlu.classifier import load_or_train; from nlu import training_dir; "
        f"m, trained = load_or_train('en', training_dir('en'), {str(nlu_cache)!r}); "
        "m.parse('hes outside'); print(trained, 'sklearn' in sys.modules, 'scipy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(ROOT)})
    assert out.stdout.split() == ["False", "False", "False"]


def test_a_service_with_no_trained_model_trains_apart_and_keeps_neither_library(tmp_path: Path) -> None:
    """The service's NLU (train_apart) fills an empty cache from a child process, then loads the arrays."""
    code = (
        "import sys; from nlu.service import NluService; "
        f"service = NluService(cache_dir={str(tmp_path)!r}, train_apart=True); "
        "print(service.model('en').parse('hes outside')['intent']['name'], 'sklearn' in sys.modules, "
        "'scipy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(ROOT)}, timeout=600)
    assert out.stdout.split()[1:] == ["False", "False"]
    assert out.stdout.split()[0] != "nlu_fallback"
    assert list(tmp_path.glob("en-*.npz"))
