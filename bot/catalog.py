"""Loads content (content/<locale>/*.yaml) and renders semantic messages in her locale and cover.

Message texts are merged from MESSAGE_FILES; a text is a string or {cover, plain}. Some parameters
are computed here from content so flows stay free of it: `tip` (the persona's tip of the day),
`country` (emergency numbers; the crisis line of content/<locale>/crisis.yaml), `persona` (a persona's
title), `window`/`windows` (contact times).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import yaml

from bot.channels.base import Button
from content import CONTENT_DIR, locale_path
from flows.types import Say
from safety.disguise import DEFAULT_PERSONA, PLAIN, Disguise, number_pattern, variant, word_pattern, wrap

MESSAGE_FILES = ("messages.yaml", "consent.yaml", "programme.yaml", "notices.yaml")
SECTIONED_FILES = ("consent.yaml", "notices.yaml")  # their texts are under `texts:`, beside other data
POST_PIN_FILES = ("programme.yaml",)  # explicit pages shown only after her PIN (see safety.disguise)


class ContentError(Exception):
    """A content file is missing, malformed or lacks a key; the message names the file."""


@cache
def load_yaml(locale: str, name: str) -> Any:
    path = locale_path(locale, name)
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ContentError(f"{path}: missing") from None
    except yaml.YAMLError as exc:
        raise ContentError(f"{path}: {exc}") from None


@cache
def messages(locale: str) -> dict[str, Any]:
    """All texts of a locale; a key defined in two files is an error, not a silent override."""
    merged: dict[str, Any] = {}
    for name in MESSAGE_FILES:
        data = load_yaml(locale, name) or {}
        texts = data.get("texts", {}) if name in SECTIONED_FILES else data
        for key, value in texts.items():
            if key in merged:
                raise ContentError(f"{locale_path(locale, name)}: text {key!r} is defined twice")
            merged[key] = value
    return merged


@cache
def post_pin_keys(locale: str) -> frozenset[str]:
    return frozenset(k for name in POST_PIN_FILES for k in (load_yaml(locale, name) or {}))


def text(locale: str, key: str, plain: bool = False, **params: Any) -> str:
    table = messages(locale)
    if key not in table:
        raise ContentError(f"{CONTENT_DIR / locale}: no text {key!r}")
    raw = variant(table[key], plain)
    return raw.format(**params) if params else raw


def personas(locale: str) -> dict[str, Any]:
    return dict(load_yaml(locale, "personas.yaml"))


def persona_ids() -> tuple[str, ...]:
    """The cover personas she can choose (the same in every locale; a test checks that)."""
    return tuple(p for p in personas("en") if p != PLAIN)


def title(locale: str, disguise: Disguise) -> str:
    entry = personas(locale).get(disguise.title_key) or personas(locale)[DEFAULT_PERSONA]
    return str(entry["title"])


@cache
def consent_versions(locale: str) -> dict[str, str]:
    return {str(k): str(v) for k, v in (load_yaml(locale, "consent.yaml") or {})["versions"].items()}


def emergency(locale: str, country: str, plain: bool) -> str:
    table = load_yaml(locale, "emergency.yaml")
    entry = table.get(country.upper()) or table["EU"]
    return variant(entry, plain).strip()


def crisis(locale: str, country: str, plain: bool) -> str:
    """The crisis line for her country (someone to talk to when she may harm herself) and the
    emergency number, in cover or plain wording."""
    table = load_yaml(locale, "crisis.yaml")
    entry = table.get(country.upper()) or table["EU"]
    return variant(entry, plain).strip()


@cache
def sensitive_pattern(locale: str) -> Any:
    return word_pattern(load_yaml(locale, "sensitive_words.yaml")["words"])


EMERGENCY_NUMBER = re.compile(r"\d[\d ]*\d")


@cache
def emergency_number_pattern(locale: str) -> Any:
    """Every number of the locale's emergency and crisis lists (999, 112, 116 123, ...): none may show in a
    message's preview, where a glance at her lock screen would tell what the chat is about."""
    tables = (load_yaml(locale, "emergency.yaml"), load_yaml(locale, "crisis.yaml"))
    texts = [variant(entry, plain) for table in tables for entry in table.values() for plain in (False, True)]
    return number_pattern(n for t in texts for n in EMERGENCY_NUMBER.findall(t))


def format_window(locale: str, window: dict[str, Any]) -> str:
    names = text(locale, "windows.day_names").split()
    days = sorted(set(window.get("days") or []))
    runs: list[list[int]] = []
    for d in days:
        if runs and d == runs[-1][-1] + 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    day_text = ", ".join(names[r[0]] if len(r) == 1 else f"{names[r[0]]}–{names[r[-1]]}" for r in runs)
    return f"{day_text} {window.get('start')}–{window.get('end')}"


def _computed(locale: str, disguise: Disguise, params: dict[str, Any]) -> dict[str, Any]:
    out = dict(params)
    if "tip" in params:
        tips = personas(locale)[disguise.persona if not disguise.plain else DEFAULT_PERSONA]["tips"]
        out["tip_text"] = tips[int(params["tip"]) % len(tips)]
    if "country" in params:
        out["numbers"] = emergency(locale, str(params["country"]), disguise.plain)
        out["crisis_numbers"] = crisis(locale, str(params["country"]), disguise.plain)
    if "persona" in params:
        out["persona_name"] = personas(locale)[str(params["persona"])]["title"]
    if "window" in params:
        out["window_text"] = format_window(locale, params["window"])
    if "windows" in params:
        windows = params["windows"] or []
        out["windows_text"] = "\n".join(f"• {format_window(locale, w)}" for w in windows)
    return out


def render(say: Say, locale: str, disguise: Disguise | None = None) -> tuple[str, tuple[Button, ...]]:
    """Text and buttons of one semantic message. `disguise` None: no title (strangers only)."""
    plain = disguise.plain if disguise else False
    params = _computed(locale, disguise or Disguise(), say.params)
    body = text(locale, say.key, plain, **params)
    if "lead" in say.params:  # a short line above the message (flows.common.with_lead)
        body = text(locale, str(say.params["lead"]), plain, **params) + "\n" + body
    buttons = tuple(
        Button(o.payload, text(locale, o.label_key, plain, **_computed(locale, disguise or Disguise(), o.params)))
        for o in say.options
    )
    if disguise is None:
        return body, buttons
    lead = text(locale, "sensitive.lead", plain) if say.key in post_pin_keys(locale) else None
    return wrap(title(locale, disguise), body, lead), buttons


def render_for(say: Say, survivor: Any) -> tuple[str, tuple[Button, ...]]:
    """Render for an enrolled survivor in her locale and cover (for scheduled messages too)."""
    return render(say, survivor.locale, Disguise.of(survivor.persona, survivor.plain_mode))
