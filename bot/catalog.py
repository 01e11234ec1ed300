"""Loads message texts from content/<locale>/messages.yaml and renders semantic messages."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bot.channels.base import Button
from flows.types import Say

CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"
LOCALES = ("en", "de")


class ContentError(Exception):
    """A content file is missing, malformed or lacks a key; the message names the file."""


@cache
def load_yaml(locale: str, name: str) -> Any:
    path = CONTENT_DIR / locale / name
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ContentError(f"{path}: missing") from None
    except yaml.YAMLError as exc:
        raise ContentError(f"{path}: {exc}") from None


def text(locale: str, key: str, **params: Any) -> str:
    messages = load_yaml(locale, "messages.yaml")
    if key not in messages:
        raise ContentError(f"{CONTENT_DIR / locale / 'messages.yaml'}: no text {key!r}")
    return str(messages[key]).format(**params) if params else str(messages[key])


def render(say: Say, locale: str) -> tuple[str, tuple[Button, ...]]:
    """Text and buttons of one semantic message in a locale."""
    body = text(locale, say.key, **say.params)
    buttons = tuple(Button(o.payload, text(locale, o.label_key)) for o in say.options)
    return body, buttons
