"""The console in German: every text a page or a flash message shows, written `_("English text")` in a
template or in the console's Python, has its German entry in content/de/console.yaml, and every code's
words (`labels:`) have theirs. A new page (or another branch's new partial) fails here, naming each
English text still without German, until content/de/console.yaml has it."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

from console.texts import catalogue, label, translate
from flows.phone_call import HER_KEY_LABELS, OUTCOME_LABELS, NextStep

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "console" / "templates"
PYTHON = [*sorted((ROOT / "console").glob("*.py")), ROOT / "evaluation" / "console.py"]
# `_("...")` or `_('...')` with a literal first argument, in a template
TEMPLATE_TEXT = re.compile(r"""\b_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")
# shown on her page and the call-backs page as words (flows/phone_call.py), translated there
CALL_WORDS = {*OUTCOME_LABELS.values(), *HER_KEY_LABELS.values(),
              *(NextStep(**{f: True}).label for f in ("close", "retry", "worker_decides"))}


def template_texts() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in sorted(TEMPLATES.glob("*.html")):
        for m in TEMPLATE_TEXT.finditer(path.read_text(encoding="utf-8")):
            found.setdefault(m.group(1) if m.group(1) is not None else m.group(2), path.name)
    return found


def python_texts() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in PYTHON:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_" and \
                    node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                found.setdefault(node.args[0].value, path.name)
    return found


def shown_texts() -> dict[str, str]:
    return {**dict.fromkeys(CALL_WORDS, "flows/phone_call.py"), **python_texts(), **template_texts()}


def fields(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}


def test_every_console_text_has_its_german() -> None:
    german = catalogue("de")["texts"]
    texts = shown_texts()
    assert len(texts) > 300  # the extraction still finds the pages' texts
    missing = sorted(f"{where}: {text!r}" for text, where in texts.items() if text not in german)
    assert not missing, "no German in content/de/console.yaml for:\n" + "\n".join(missing)


def test_german_texts_keep_every_placeholder_of_the_english() -> None:
    wrong = sorted(k for k, v in catalogue("de")["texts"].items() if fields(k) != fields(str(v)))
    assert not wrong, f"placeholders differ: {wrong}"


def test_every_code_has_words_in_german_too() -> None:
    en, de = catalogue("en")["labels"], catalogue("de")["labels"]
    missing = sorted(f"{kind}.{code}" for kind, codes in en.items() for code in codes
                     if code not in (de.get(kind) or {}))
    assert not missing, f"no German words for: {missing}"


def test_a_german_worker_reads_german_words_and_the_code_stays_in_the_tooltip() -> None:
    assert translate("de", "Claim") == "Übernehmen"
    assert label("de", "reason", "danger_now") == "Jetzt in Gefahr"
    assert translate("de", "You hold alert #{id} now.", id=7) == "Sie haben Alarm #7 jetzt übernommen."
