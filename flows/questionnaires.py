"""Questionnaires as data: content/<locale>/questionnaire_*.yaml, read into pydantic models when loaded.

Each file holds one questionnaire version in one locale: its id and version, the check-in's own
texts (opening, reminder, intro, thanks ...; `*_plain` variants for plain mode), the keywords for
"skip", "later" and "continue", the answer scales with their codes, and the items (code, wording,
cover wording, scale, optional `ask_if` condition in the language of safety.triage).
A broken file raises `QuestionnaireError` naming the file, the line, the place and the reason. Every
locale must hold the same questionnaires with the same item codes and answer codes, so answers compare
across locales.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    StrictInt,
    ValidationInfo,
    field_validator,
    model_validator,
)

from content import CONTENT_DIR, LOCALES
from content.loading import ContentError, Document, read_yaml, validate
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
    "range_hint_typed": ("min", "max", "low", "high"),  # SMS: the value itself is the reply, no numbered list
    "skip_label": (),
    "pause_label": (),
    "paused": (),
    "resumed": (),
    "invalid": (),
    "invalid_range": ("min", "max"),
    "thanks": (),
    "closed": (),
    "question_lead": (),
}
EVERYWHERE = frozenset().union(kw.SMS_STOP, kw.STOP, kw.START, kw.HELP, kw.EXIT, kw.NUMBERS, kw.MENU)


class QuestionnaireError(ContentError):
    """A questionnaire file that cannot be used: the message names the file, the line and the reason."""


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


# -- the file, as pydantic models --------------------------------------------------------------------
# Each model reads what the file defined before it from the validation context, which the file model
# fills as it validates its fields in order (the scales before the items that use them).

def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected a non-empty text, got {value!r}")
    return value


def _placeholders(text: str, allowed: tuple[str, ...]) -> str:
    names = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
    unknown = names - set(allowed)
    if unknown:
        raise ValueError(f"unknown placeholder(s) {sorted(unknown)}; allowed: {list(allowed) or 'none'}")
    return text


class _Option(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str
    label: str
    score: float | None = None

    @field_validator("code", mode="before")
    @classmethod
    def _code(cls, code: Any) -> str:
        if not isinstance(code, str):
            raise ValueError(f"expected a text code, got {code!r} (quote yes/no in YAML)")
        if not ANSWER_CODE_RE.match(code):
            raise ValueError(f"{code!r}: codes are lower-case letters, digits and _")
        return code

    _label = field_validator("label", mode="before")(_text)

    @field_validator("score", mode="before")
    @classmethod
    def _number(cls, score: Any) -> Any:
        if score is not None and (not isinstance(score, int | float) or isinstance(score, bool)):
            raise ValueError(f"expected a number, got {score!r}")
        return score


class _Scale(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["choice", "range", "text"]
    options: list[_Option] | None = None
    min: StrictInt | None = None
    max: StrictInt | None = None
    low_label: str | None = None
    high_label: str | None = None

    @model_validator(mode="after")
    def _fits_its_type(self) -> _Scale:
        given = {k for k in ("options", "min", "max", "low_label", "high_label") if getattr(self, k) is not None}
        if self.type == "choice":
            if given - {"options"}:
                raise ValueError(f"unknown keys {sorted(given - {'options'})}")
            if self.options is None or len(self.options) < 2:
                raise ValueError("options: a choice scale needs at least two options")
            codes = [o.code for o in self.options]
            for i, code in enumerate(codes):
                if code in codes[:i]:
                    raise ValueError(f"options[{i}].code: {code!r} is used twice")
        elif self.type == "range":
            lo, hi = self.min, self.max
            if lo is None or hi is None or not 0 <= lo < hi <= 100:
                raise ValueError("a range scale needs whole numbers 0 <= min < max <= 100")
            _text(self.low_label)
            _text(self.high_label)
        return self

    def scale(self, code: str) -> Scale:
        if self.type == "choice":
            return Scale(code, "choice", tuple(ScaleOption(o.code, o.label, o.score) for o in self.options or ()))
        if self.type == "range":
            assert self.min is not None and self.max is not None
            return Scale(code, "range", (), self.min, self.max, str(self.low_label), str(self.high_label))
        return Scale(code, "text")


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)
    code: str
    wording: str
    cover_wording: str | None = None
    scale: str
    ask_if: Any = None

    @field_validator("code", mode="before")
    @classmethod
    def _code(cls, code: Any, info: ValidationInfo) -> str:
        if not isinstance(code, str) or not CODE_RE.match(code):
            raise ValueError(f"{code!r}: item codes are lower-case letters, digits and _")
        if code in _context(info).get("items", {}):
            raise ValueError(f"{code!r} is used twice")
        return code

    @field_validator("wording", "cover_wording", mode="before")
    @classmethod
    def _wording(cls, value: Any) -> str:
        return _placeholders(_text(value), ())

    @field_validator("scale")
    @classmethod
    def _known_scale(cls, code: str, info: ValidationInfo) -> str:
        scales = _context(info).get("scales", {})
        if code not in scales:
            raise ValueError(f"unknown scale {code!r} (defined: {sorted(scales)})")
        return code

    @field_validator("ask_if")
    @classmethod
    def _condition(cls, raw: Any, info: ValidationInfo) -> Condition | None:
        if raw is None:
            return None
        try:
            cond = parse_condition(raw, "ask_if")
        except RuleError as exc:
            raise ValueError(str(exc).removeprefix("ask_if: ")) from None
        earlier: dict[str, Item] = _context(info).get("items", {})
        for ref, ref_code in cond.item_codes():
            if ref not in earlier:
                raise ValueError(f"refers to {ref!r}, which is not asked before it")
            if ref_code not in earlier[ref].scale.codes():
                raise ValueError(f"{ref_code!r} is not an answer code of {ref!r}")
        for ref in cond.items():
            if ref not in earlier:
                raise ValueError(f"refers to {ref!r}, which is not asked before it")
        return cond

    @model_validator(mode="after")
    def _remember(self, info: ValidationInfo) -> _Item:
        """What later items' ask_if may refer to."""
        ctx = _context(info)
        ctx.setdefault("items", {})[self.code] = Item(self.code, self.wording, ctx["scales"][self.scale],
                                                      self.cover_wording, self.ask_if)
        return self


def _context(info: ValidationInfo) -> dict[str, Any]:
    return info.context if info.context is not None else {}


class _Texts(BaseModel):
    """The check-in's own texts (TEXTS lists the placeholders each may use)."""

    model_config = ConfigDict(extra="forbid")
    opening: str
    opening_plain: str
    reminder: str
    reminder_plain: str
    start_label: str
    later_label: str
    not_now: str
    intro: str
    range_hint: str
    range_hint_typed: str
    skip_label: str
    pause_label: str
    paused: str
    resumed: str
    invalid: str
    invalid_range: str
    thanks: str
    closed: str
    question_lead: str  # above every question: what a lock screen shows of it (PREVIEW_CHARS)

    @field_validator("*", mode="before")
    @classmethod
    def _placeholders_it_may_use(cls, value: Any, info: ValidationInfo) -> str:
        assert info.field_name is not None
        return _placeholders(_text(value), TEXTS[info.field_name])


assert set(_Texts.model_fields) == set(TEXTS), "a text key in TEXTS without its field, or the other way round"


class _Keywords(BaseModel):
    """Her words for skip, pause and resume: none of them a word that works everywhere, none in two lists."""

    model_config = ConfigDict(extra="forbid")
    skip: tuple[str, ...]
    pause: tuple[str, ...]
    resume: tuple[str, ...]

    @field_validator("skip", "pause", "resume", mode="before")
    @classmethod
    def _words(cls, words: Any, info: ValidationInfo) -> tuple[str, ...]:
        if not isinstance(words, list) or not words or not all(isinstance(w, str) and w.strip() for w in words):
            raise ValueError("expected a non-empty list of words")
        folded = tuple(fold_answer(w) for w in words)
        for w in folded:
            if w in EVERYWHERE:
                raise ValueError(f"{w!r} is a word that works everywhere (flows/keywords.py: "
                                 "stop, start, help, exit, numbers, menu); use another")
            for kind, earlier in info.data.items():
                if w in earlier:
                    raise ValueError(f"{w!r} is also a {kind} keyword")
        return folded


class _QuestionnaireFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    version: str
    locale: str
    title: str
    texts: _Texts
    keywords: _Keywords
    scales: dict[str, _Scale]
    items: list[_Item]

    @field_validator("id", mode="before")
    @classmethod
    def _id(cls, qid: Any) -> str:
        if not isinstance(qid, str) or not CODE_RE.match(qid):
            raise ValueError(f"{qid!r}: expected a lower-case id")
        return qid

    @field_validator("version", mode="before")
    @classmethod
    def _version(cls, version: Any) -> str:
        if not isinstance(version, str) or not version or len(version) > 16:
            raise ValueError(f"expected a quoted version text of at most 16 characters, got {version!r}")
        return version

    @field_validator("locale", mode="before")
    @classmethod
    def _in_its_folder(cls, locale: Any, info: ValidationInfo) -> str:
        folder = _context(info).get("folder")
        if folder is not None and locale != folder:
            raise ValueError(f"{locale!r} but the file is in the {folder!r} folder")
        return str(locale)

    _title = field_validator("title", mode="before")(_text)

    @field_validator("scales")
    @classmethod
    def _scales(cls, scales: dict[str, _Scale], info: ValidationInfo) -> dict[str, _Scale]:
        if not scales:
            raise ValueError("expected a mapping of scales")
        for code in scales:
            if not CODE_RE.match(code):
                raise ValueError(f"{code}: scale names are lower-case letters, digits and _")
        _context(info)["scales"] = {code: s.scale(code) for code, s in scales.items()}
        return scales

    @field_validator("items")
    @classmethod
    def _items(cls, items: list[_Item]) -> list[_Item]:
        if not items:
            raise ValueError("expected a non-empty list")
        return items


def parse_questionnaire(raw: Any, path: Path, locale: str | None = None, lines: Document | None = None
                        ) -> Questionnaire:
    """One questionnaire file's data (`lines`: the file as read, so an error names its line)."""
    context: dict[str, Any] = {"folder": locale}
    spec = validate(_QuestionnaireFile, lines if lines is not None else Document(raw, str(path)), QuestionnaireError,
                    context=context)
    scales: dict[str, Scale] = context["scales"]
    by_code: dict[str, Item] = context["items"]
    items = tuple(by_code[it.code] for it in spec.items)
    return Questionnaire(spec.id, spec.version, spec.locale, spec.title, spec.texts.model_dump(),
                         spec.keywords.model_dump(), scales, items, str(path), by_code)


def _fail(path: Path | str, reason: str) -> QuestionnaireError:
    return QuestionnaireError(f"{path}: {reason}")


def load_file(path: Path, locale: str | None = None) -> Questionnaire:
    doc = read_yaml(path, QuestionnaireError)
    return parse_questionnaire(doc.data, path, locale, doc)


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
                raise _fail(path, f"questionnaire {q.id!r} version {q.version!r} is also in {found[key].path}")
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
