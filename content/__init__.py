"""The service's content: texts, personas, emergency numbers, questionnaires, danger words, triage rules
and waves, as data files beside this one (``<locale>/*.yaml`` and a few for every locale).

The one place that says where the content is and which locales there are; the package every other one
may import (it imports none of ours). How her words are folded before they are compared with the
content's words is ``content.text``; reading a file into a typed model with a file-and-line error is
``content.loading``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

CONTENT_DIR = Path(__file__).resolve().parent

Locale = Literal["en", "de"]
LOCALES: tuple[Locale, ...] = ("en", "de")
DEFAULT_LOCALE: Locale = "en"


def locale_path(locale: str, name: str, content_dir: Path = CONTENT_DIR) -> Path:
    """A locale's file (``content/<locale>/<name>``)."""
    return content_dir / locale / name


def shared_path(name: str, content_dir: Path = CONTENT_DIR) -> Path:
    """A file for every locale (``content/<name>``: waves, triage rules)."""
    return content_dir / name
