"""The console's words in the reader's locale (the staff member's, else the site's): one catalogue per
locale, content/<locale>/console.yaml, like her texts. The English text is its own key (gettext style):
a template writes `{{ _("Claim") }}`, Python writes `_("You hold alert #{id} now.", id=7)` and gets a
`Text` that the page renders in the reader's locale; so a flash message is still chosen by the server,
never taken from the URL. Codes (statuses, kinds, outcomes, reasons) are shown as words: `labels:`.

tests/console/test_console_texts.py fails when a text has no German entry.
"""

from __future__ import annotations

from functools import cache
from typing import Any, NamedTuple

import yaml

from content import DEFAULT_LOCALE, LOCALES, locale_path

CATALOGUE = "console.yaml"


class Text(NamedTuple):
    """A text chosen on the server: its English words (the key) and the values put into them."""

    key: str
    params: dict[str, Any]


def _(key: str, **params: Any) -> Text:
    """Mark an English text for the console; it is shown in the reader's locale."""
    return Text(key, params)


@cache
def catalogue(locale: str) -> dict[str, Any]:
    """`texts:` (English -> this locale) and `labels:` (kind -> code -> words) of one locale."""
    data = yaml.safe_load(locale_path(locale, CATALOGUE).read_text(encoding="utf-8")) or {}
    return {"texts": dict(data.get("texts") or {}), "labels": dict(data.get("labels") or {})}


def usable(locale: str | None) -> str:
    return locale if locale in LOCALES else DEFAULT_LOCALE


def translate(locale: str, text: str | Text, **params: Any) -> str:
    """`text` in `locale` (a text with no entry there stays in English), its values put in."""
    if isinstance(text, Text):
        key, params = text.key, {**text.params, **params}
    else:
        key = str(text)
    words = catalogue(usable(locale))["texts"].get(key, key) if usable(locale) != "en" else key
    params = {k: translate(locale, v) if isinstance(v, Text) else v for k, v in params.items()}
    return str(words).format(**params) if params else str(words)


def label(locale: str, kind: str, code: str | None, english: str | None = None) -> str:
    """The words for a code (`reason` `danger_now` -> "Danger now"); a code with no words here: the
    `english` words given (translated like any text), else the code made readable."""
    if not code:
        return ""
    for loc in (usable(locale), DEFAULT_LOCALE):
        words = (catalogue(loc)["labels"].get(kind) or {}).get(code)
        if words is not None:
            return str(words)
    return translate(locale, english) if english else str(code).replace("_", " ")
