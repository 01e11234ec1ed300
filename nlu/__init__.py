"""Free-text understanding: Rasa-format training data, embedded classifier, Rasa client.

Kept import-light on purpose: importing ``nlu`` must not pull in scikit-learn, so the
service can start (and answer buttons) before a model is needed.
"""

from pathlib import Path

from content import LOCALES

NLU_DIR = Path(__file__).resolve().parent
SUPPORTED_LOCALES: tuple[str, ...] = LOCALES  # the content's locales: one training folder each


def training_dir(locale: str) -> Path:
    """The folder Rasa and the embedded classifier both train from (``nlu/<locale>/``)."""
    if locale not in SUPPORTED_LOCALES:
        raise ValueError(f"unsupported locale {locale!r}; expected one of {SUPPORTED_LOCALES}")
    return NLU_DIR / locale


def harder_test_file(locale: str) -> Path:
    """Issue 16's harder held-out set, ``nlu/<locale>/test/test_nlu.yml``: never trained on
    (``nlu.data.training_files`` skips ``test/`` folders; Rasa must be given the files, not the folder)."""
    if locale not in SUPPORTED_LOCALES:
        raise ValueError(f"unsupported locale {locale!r}; expected one of {SUPPORTED_LOCALES}")
    return NLU_DIR / locale / "test" / "test_nlu.yml"


def heldout_file(locale: str) -> Path:
    """Held-out test file: outside the training folder so no trainer ever reads it."""
    if locale not in SUPPORTED_LOCALES:
        raise ValueError(f"unsupported locale {locale!r}; expected one of {SUPPORTED_LOCALES}")
    return NLU_DIR / "heldout" / locale / "test_nlu.yml"
