"""Every message of a conversation rendered for her, chosen by the Say's key namespace, not by which
code path produced it: `checkin.*` from the questionnaire files, a notice's text from the notice,
everything else from the catalog (each with her cover's title first)."""

from __future__ import annotations

from typing import Any

from bot import catalog
from bot.channels.base import Button
from bot.notices import texts as notice_texts
from bot.waves.checkin_io import render_checkin
from flows.notice import TEXT_KEY
from flows.types import Say
from safety.disguise import Disguise


def render(say: Say, locale: str, disguise: Disguise | None = None) -> tuple[str, tuple[Button, ...]]:
    if say.key.startswith("checkin."):
        return render_checkin(say, locale, disguise)
    if say.key == TEXT_KEY:
        return notice_texts.render(say, locale, disguise)
    return catalog.render(say, locale, disguise)


def render_for(say: Say, survivor: Any) -> tuple[str, tuple[Button, ...]]:
    """For an enrolled survivor, in her locale and cover."""
    return render(say, survivor.locale, Disguise.of(survivor.persona, survivor.plain_mode))
