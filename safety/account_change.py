"""Signs that the person writing from her number or account is no longer her.

Pure: a phrase list per locale in content/<locale>/account_change.yaml. When it fires, the engine
treats the identity as unconfirmed (`suspect`): the writer gets the neutral stranger reply, nothing
sensitive and nothing we start goes to it (safety.outbound_gate), and a worker is asked to re-verify.
"""

from __future__ import annotations

from functools import cache

import yaml

from content import LOCALES, locale_path
from content.text import fold_phrase


@cache
def _phrases(locale: str) -> tuple[str, ...]:
    path = locale_path(locale, "account_change.yaml")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
    return tuple(str(p).casefold() for p in (data or {}).get("phrases", []))


def signals_new_person(text: str | None, locale: str) -> bool:
    """Her locale first, then the others: a new owner need not write in her language."""
    folded = fold_phrase(text)
    if not folded:
        return False
    return any(p in folded for loc in dict.fromkeys((locale, *LOCALES)) for p in _phrases(loc))
