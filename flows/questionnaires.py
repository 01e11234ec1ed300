"""Questionnaires as data: content/<locale>/questionnaire_*.yaml, validated when loaded.

Each file holds one questionnaire version in one locale: its id and version, the check-in's own
texts (opening, reminder, intro, thanks ...; `*_plain` variants for plain mode), the keywords for
"skip", "later" and "continue", the answer scales with their codes, and the items (code, wording,
cover wording, scale, optional `ask_if` condition in the language of safety.triage).
A broken file raises `QuestionnaireError` naming the file and the reason. Every locale must hold the
same questionnaires with the same item codes and answer codes, so answers compare across locales.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml

from content import CONTENT_DIR, LOCALES
from content.text import fold_answer
from flows import keywords as kw
from safety.triage import Condition, RuleError, TriageRules, parse_condition

CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
ANSWER_CODE_RE = re.compile(r"^[a-z0-9_]{1,32}$")

# text key -> the {params} it may use (checked at load by formatting with exactly these)
TEXTS: dict[str, tuple[str, ...]] = {
    "opening": (),
    "opening_plain": (),
    "reminder": (),
    "reminder_plain": (),
    "start_label": (),
    "later_label": (),
    "not_now": (),
    "intro": ("count",),
    "range_hint": ("min", "max", "low", "high"),
    "skip_label": (),
    "pause_label": (),
    "paused": (),
    "resumed": (),
    "invalid": (),
    "invalid_range": ("min", "max"),
    "thanks": (),
    "closed": (),
}
KEYWORDS = ("skip", "pause", "resume")
EVERYWHERE = frozenset().union(kw.SMS_STOP, kw.STOP, kw.START, kw.HELP, kw.EXIT, kw.NUMBERS, kw.MENU)
TOP_LEVEL = {"id", "version", "locale", "title", "texts", "keywords", "scales", "items"}


class QuestionnaireError(ValueError):
    """A questionnaire file that cannot be used: the message names the file and the reason."""


@dataclass(frozen=True)
class ScaleOption:
    code: str
    label: str
    score: float | None


@dataclass(frozen=True)
class Scale:
    code: str
    type: Literal["choice", "range", "text"]
    options: tuple[ScaleOption, ...] = ()
    min: int = 0
    max: int = 0
    low_label: str = ""
    high_label: str = ""

    def codes(self) -> list[str]:
        if self.type == "choice":
            return [o.code for o in self.options]
        if self.type == "range":
            return [str(n) for n in range(self.min, self.max + 1)]
        return []

    def label(self, code: str) -> str:
        for o in self.options:
            if o.code == code:
                return o.label
        return code

    def score(self, code: str) -> float | None:
        if self.type == "choice":
            for o in self.options:
                if o.code == code:
                    return o.score
            return None
        if self.type == "range":
            return float(code) if code.isdigit() else None
        return None

    def parse(self, text: str) -> str | None:
        """Her typed reply as an answer code: a number (option number, or the value on a range),
        a label or a code; None when it is not an answer to this scale."""
        t = fold_answer(text)
        if self.type == "range":
            if re.fullmatch(r"\d{1,3}", t) and self.min <= int(t) <= self.max:
                return str(int(t))
            return None
        if self.type == "choice":
            if t.isdigit() and 1 <= int(t) <= len(self.options):
                return self.options[int(t) - 1].code
            for o in self.options:
                if t in (fold_answer(o.label), o.code):
                    return o.code
        return None


@dataclass(frozen=True)
class Item:
    code: str
    wording: str
    scale: Scale
    cover_wording: str | None = None
    ask_if: Condition | None = None


@dataclass(frozen=True)
class Questionnaire:
    id: str
    version: str
    locale: str
    title: str
    texts: Mapping[str, Any]
    keywords: Mapping[str, tuple[str, ...]]
    scales: Mapping[str, Scale]
    items: tuple[Item, ...]
    path: str = ""
    _by_code: Mapping[str, Item] = field(default_factory=dict, repr=False, compare=False)

    def item(self, code: str) -> Item:
        return self._by_code[code]

    def has_item(self, code: str) -> bool:
        return code in self._by_code

    def scores(self) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        for it in self.items:
            by_code = {c: s for c in it.scale.codes() if (s := it.scale.score(c)) is not None}
            if by_code:
                out[it.code] = by_code
        return out

    def text(self, key: str, **params: Any) -> str:
        value = str(self.texts[key])
        return value.format(**params) if params else value

    def keyword(self, text: str | None) -> str | None:
        if not text:
            return None
        t = fold_answer(text)
        for kind, words in self.keywords.items():
            if t in words:
                return kind
        return None


# -- loading --------------------------------------------------------------------------------------
def _fail(path: Path | str, where: str, reason: str) -> QuestionnaireError:
    return QuestionnaireError(f"{path}: {where}: {reason}" if where else f"{path}: {reason}")


def _str(raw: Mapping[str, Any], key: str, path: Path, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _fail(path, f"{where}.{key}" if where else key, f"expected a non-empty text, got {value!r}")
    return value


def _check_format(text: str, allowed: tuple[str, ...], path: Path, where: str) -> None:
    names = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
    unknown = names - set(allowed)
    if unknown:
        raise _fail(path, where, f"unknown placeholder(s) {sorted(unknown)}; allowed: {list(allowed) or 'none'}")


def _parse_scale(code: str, raw: Any, path: Path) -> Scale:
    where = f"scales.{code}"
    if not CODE_RE.match(code):
        raise _fail(path, where, "scale names are lower-case letters, digits and _")
    if not isinstance(raw, dict):
        raise _fail(path, where, "expected a mapping")
    kind = raw.get("type")
    if kind == "choice":
        if set(raw) - {"type", "options"}:
            raise _fail(path, where, f"unknown keys {sorted(set(raw) - {'type', 'options'})}")
        opts_raw = raw.get("options")
        if not isinstance(opts_raw, list) or len(opts_raw) < 2:
            raise _fail(path, f"{where}.options", "a choice scale needs at least two options")
        options, seen = [], set()
        for i, o in enumerate(opts_raw):
            ow = f"{where}.options[{i}]"
            if not isinstance(o, dict) or set(o) - {"code", "label", "score"}:
                raise _fail(path, ow, "expected {code, label, score}")
            c = o.get("code")
            if not isinstance(c, str):
                raise _fail(path, f"{ow}.code", f"expected a text code, got {c!r} (quote yes/no in YAML)")
            if not ANSWER_CODE_RE.match(c):
                raise _fail(path, f"{ow}.code", f"{c!r}: codes are lower-case letters, digits and _")
            if c in seen:
                raise _fail(path, f"{ow}.code", f"{c!r} is used twice")
            seen.add(c)
            score = o.get("score")
            if score is not None and (not isinstance(score, int | float) or isinstance(score, bool)):
                raise _fail(path, f"{ow}.score", f"expected a number, got {score!r}")
            options.append(ScaleOption(c, _str(o, "label", path, ow), None if score is None else float(score)))
        return Scale(code, "choice", tuple(options))
    if kind == "range":
        lo, hi = raw.get("min"), raw.get("max")
        if not isinstance(lo, int) or not isinstance(hi, int) or isinstance(lo, bool) or not 0 <= lo < hi <= 100:
            raise _fail(path, where, "a range scale needs whole numbers 0 <= min < max <= 100")
        return Scale(code, "range", (), lo, hi, _str(raw, "low_label", path, where),
                     _str(raw, "high_label", path, where))
    if kind == "text":
        return Scale(code, "text")
    raise _fail(path, f"{where}.type", f"{kind!r} is not one of choice, range, text")


def parse_questionnaire(raw: Any, path: Path, locale: str | None = None) -> Questionnaire:
    if not isinstance(raw, dict):
        raise _fail(path, "", "expected a mapping at the top level")
    missing = TOP_LEVEL - set(raw)
    if missing:
        raise _fail(path, "", f"missing {sorted(missing)}")
    extra = set(raw) - TOP_LEVEL
    if extra:
        raise _fail(path, "", f"unknown top-level keys {sorted(extra)}")
    qid = raw["id"]
    if not isinstance(qid, str) or not CODE_RE.match(qid):
        raise _fail(path, "id", f"{qid!r}: expected a lower-case id")
    version = raw["version"]
    if not isinstance(version, str) or not version or len(version) > 16:
        raise _fail(path, "version", f"expected a quoted version text of at most 16 characters, got {version!r}")
    if locale is not None and raw["locale"] != locale:
        raise _fail(path, "locale", f"{raw['locale']!r} but the file is in the {locale!r} folder")
    title = _str(raw, "title", path, "")

    texts_raw = raw["texts"]
    if not isinstance(texts_raw, dict):
        raise _fail(path, "texts", "expected a mapping")
    missing_texts = set(TEXTS) - set(texts_raw)
    if missing_texts:
        raise _fail(path, "texts", f"missing {sorted(missing_texts)}")
    if set(texts_raw) - set(TEXTS):
        raise _fail(path, "texts", f"unknown keys {sorted(set(texts_raw) - set(TEXTS))}")
    texts: dict[str, Any] = {}
    for key, allowed in TEXTS.items():
        value = texts_raw[key]
        if not isinstance(value, str) or not value.strip():
            raise _fail(path, f"texts.{key}", f"expected a non-empty text, got {value!r}")
        _check_format(value, allowed, path, f"texts.{key}")
        texts[key] = value

    kw_raw = raw["keywords"]
    if not isinstance(kw_raw, dict) or set(kw_raw) != set(KEYWORDS):
        raise _fail(path, "keywords", f"expected exactly {list(KEYWORDS)}")
    keywords: dict[str, tuple[str, ...]] = {}
    seen_words: dict[str, str] = {}
    for kind in KEYWORDS:
        words = kw_raw[kind]
        if not isinstance(words, list) or not words or not all(isinstance(w, str) and w.strip() for w in words):
            raise _fail(path, f"keywords.{kind}", "expected a non-empty list of words")
        norm = tuple(fold_answer(w) for w in words)
        for w in norm:
            if w in EVERYWHERE:
                raise _fail(path, f"keywords.{kind}", f"{w!r} is a word that works everywhere (flows/keywords.py: "
                                                       "stop, start, help, exit, numbers, menu); use another")
            if w in seen_words:
                raise _fail(path, f"keywords.{kind}", f"{w!r} is also a {seen_words[w]} keyword")
            seen_words[w] = kind
        keywords[kind] = norm

    scales_raw = raw["scales"]
    if not isinstance(scales_raw, dict) or not scales_raw:
        raise _fail(path, "scales", "expected a mapping of scales")
    scales = {str(code): _parse_scale(str(code), s, path) for code, s in scales_raw.items()}

    items_raw = raw["items"]
    if not isinstance(items_raw, list) or not items_raw:
        raise _fail(path, "items", "expected a non-empty list")
    items: list[Item] = []
    by_code: dict[str, Item] = {}
    for i, it in enumerate(items_raw):
        where = f"items[{i}]"
        if not isinstance(it, dict):
            raise _fail(path, where, "expected a mapping")
        extra_keys = set(it) - {"code", "wording", "cover_wording", "scale", "ask_if"}
        if extra_keys:
            raise _fail(path, where, f"unknown keys {sorted(extra_keys)}")
        code = it.get("code")
        if not isinstance(code, str) or not CODE_RE.match(code):
            raise _fail(path, f"{where}.code", f"{code!r}: item codes are lower-case letters, digits and _")
        if code in by_code:
            raise _fail(path, f"{where}.code", f"{code!r} is used twice")
        wording = _str(it, "wording", path, where)
        cover = it.get("cover_wording")
        if cover is not None and (not isinstance(cover, str) or not cover.strip()):
            raise _fail(path, f"{where}.cover_wording", "expected a non-empty text")
        for key, value in (("wording", wording), ("cover_wording", cover)):
            if value is not None:
                _check_format(value, (), path, f"{where}.{key}")
        scale_code = it.get("scale")
        if scale_code not in scales:
            raise _fail(path, f"{where}.scale", f"unknown scale {scale_code!r} (defined: {sorted(scales)})")
        cond = None
        if "ask_if" in it:
            try:
                cond = parse_condition(it["ask_if"], f"{path}: {where}.ask_if")
            except RuleError as exc:
                raise QuestionnaireError(str(exc)) from None
            for ref, ref_code in cond.item_codes():
                if ref not in by_code:
                    raise _fail(path, f"{where}.ask_if", f"refers to {ref!r}, which is not asked before it")
                if ref_code not in by_code[ref].scale.codes():
                    raise _fail(path, f"{where}.ask_if", f"{ref_code!r} is not an answer code of {ref!r}")
            for ref in cond.items():
                if ref not in by_code:
                    raise _fail(path, f"{where}.ask_if", f"refers to {ref!r}, which is not asked before it")
        item = Item(code, wording, scales[scale_code], cover, cond)
        items.append(item)
        by_code[code] = item
    return Questionnaire(qid, version, str(raw["locale"]), title, texts, keywords, scales, tuple(items),
                         str(path), by_code)


def load_file(path: Path, locale: str | None = None) -> Questionnaire:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _fail(path, "", "missing") from None
    except yaml.YAMLError as exc:
        raise _fail(path, "", f"not valid YAML ({exc})") from None
    return parse_questionnaire(raw, path, locale)


@dataclass(frozen=True)
class QuestionnaireSet:
    """Every questionnaire version in every locale, keyed (locale, id, version)."""

    by_key: Mapping[tuple[str, str, str], Questionnaire]

    def get(self, locale: str, qid: str, version: str) -> Questionnaire:
        q = self.by_key.get((locale, qid, version)) or self.by_key.get(("en", qid, version))
        if q is None:
            raise KeyError(f"no questionnaire {qid!r} version {version!r}")
        return q

    def versions(self, qid: str) -> list[str]:
        return sorted({v for (_, i, v) in self.by_key if i == qid})

    def locales(self) -> list[str]:
        return sorted({loc for (loc, _, _) in self.by_key})


def _same_shape(a: Questionnaire, b: Questionnaire) -> str | None:
    ca, cb = [i.code for i in a.items], [i.code for i in b.items]
    if ca != cb:
        return f"item codes differ: {ca} vs {cb}"
    for ia, ib in zip(a.items, b.items, strict=True):
        if ia.scale.type != ib.scale.type or ia.scale.codes() != ib.scale.codes():
            return f"item {ia.code!r}: answer codes differ"
        if [ia.scale.score(c) for c in ia.scale.codes()] != [ib.scale.score(c) for c in ib.scale.codes()]:
            return f"item {ia.code!r}: scores differ"
        if ia.ask_if != ib.ask_if:
            return f"item {ia.code!r}: ask_if differs"
    return None


def load_questionnaires(content_dir: Path = CONTENT_DIR, locales: Iterable[str] = LOCALES) -> QuestionnaireSet:
    """Load and cross-check content/<locale>/questionnaire*.yaml for every locale."""
    found: dict[tuple[str, str, str], Questionnaire] = {}
    locales = tuple(locales)
    for locale in locales:
        for path in sorted((content_dir / locale).glob("questionnaire*.yaml")):
            q = load_file(path, locale)
            key = (locale, q.id, q.version)
            if key in found:
                raise _fail(path, "", f"questionnaire {q.id!r} version {q.version!r} is also in {found[key].path}")
            found[key] = q
    if not found:
        raise QuestionnaireError(f"{content_dir}: no questionnaire*.yaml in {list(locales)}")
    ids = {(qid, v) for (_, qid, v) in found}
    for qid, v in sorted(ids):
        ref = next(found[(loc, qid, v)] for loc in locales if (loc, qid, v) in found)
        for loc in locales:
            other = found.get((loc, qid, v))
            if other is None:
                raise QuestionnaireError(f"{content_dir / loc}: questionnaire {qid!r} version {v!r} is missing "
                                         f"(present in {ref.path})")
            diff = _same_shape(ref, other)
            if diff:
                raise QuestionnaireError(f"{other.path}: does not match {ref.path}: {diff}")
    return QuestionnaireSet(found)


def check_rules_against(rules: TriageRules, qs: QuestionnaireSet) -> None:
    """Every item and answer code a triage rule names must exist in some questionnaire."""
    items: dict[str, set[str]] = {}
    for q in qs.by_key.values():
        for it in q.items:
            items.setdefault(it.code, set()).update(it.scale.codes())
    for item in rules.items():
        if item not in items:
            raise RuleError(f"{rules.source}: item {item!r} is in no questionnaire")
    for item, code in rules.item_codes():
        if code not in items[item]:
            raise RuleError(f"{rules.source}: {code!r} is not an answer code of item {item!r}")


@cache
def default_questionnaires() -> QuestionnaireSet:
    return load_questionnaires()
