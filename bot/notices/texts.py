"""The words of a notice: drafted from content/<locale>/notices.yaml, and the messages around it
rendered for her locale and cover. Pure (content files only).

What she gets unprompted is `notice.preview` under her cover title ("🌱 Green Thumbs Club / A new
note for you — reply 1 to read."). The notice itself (`notice.text`) is shown only after her PIN:
her cover title, then the neutral `notice.lead`, then the text a worker approved, so a lock screen
or chat list shows nothing of it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot import catalog
from bot.channels.base import Button
from bot.notices.urgency import OTHER
from content import locale_path
from flows.capabilities import ChannelCapabilities
from flows.notice import PREVIEW_KEY, TEXT_KEY, payload
from flows.types import Option, Say
from safety.disguise import Disguise, preview, wrap

NOTICES_FILE = "notices.yaml"


def _content(locale: str) -> dict[str, Any]:
    return dict(catalog.load_yaml(locale, NOTICES_FILE) or {})


def template(locale: str, kind: str, reason_class: str | None = None) -> str:
    """The template for a kind (and reason class); ContentError when the locale lacks it."""
    entry = (_content(locale).get("templates") or {}).get(kind)
    if isinstance(entry, dict):
        entry = entry.get(reason_class or OTHER, entry.get(OTHER))
    if not isinstance(entry, str):
        raise catalog.ContentError(f"{locale_path(locale, NOTICES_FILE)}: no template for {kind!r}"
                                   + (f" ({reason_class})" if reason_class else ""))
    return entry


def format_day(locale: str, day: date) -> str:
    content = _content(locale)
    month = content["months"][day.month - 1]
    return str(content["date"]).format(day=day.day, month=month, year=day.year)


def draft_body(locale: str, country: str, kind: str, reason_class: str | None, occurred_on: date,
               sessions_missed: int | None = None) -> str:
    """The first draft a worker reviews: the template with the day, the number of sessions and, for
    urgent kinds, the emergency numbers of her country (explicit: she reads it after her PIN)."""
    text = template(locale, kind, reason_class)
    return text.format(occurred_on=format_day(locale, occurred_on), sessions=sessions_missed or 1,
                       numbers=catalog.emergency(locale, country, plain=True)).strip()


def preview_say(notice_id: int, caps: ChannelCapabilities | None) -> Say:
    """What arrives unprompted: cover wording, a Read button (without inline buttons, as on SMS, the
    text says "reply 1"; `caps` None: a channel not known, read as the one without)."""
    buttons = caps is not None and caps.inline_buttons
    options = (Option(payload(notice_id, "open"), "notice.opt_read"),) if buttons else ()
    return Say(PREVIEW_KEY, options=options)


def render(say: Say, locale: str, disguise: Disguise | None = None) -> tuple[str, tuple[Button, ...]]:
    """Any message of a notice conversation: `notice.text` here, everything else from bot.catalog."""
    if say.key != TEXT_KEY:
        return catalog.render(say, locale, disguise)
    d = disguise or Disguise()
    buttons = tuple(Button(o.payload, catalog.text(locale, o.label_key, d.plain)) for o in say.options)
    lead = catalog.text(locale, "notice.lead", d.plain)
    return wrap(catalog.title(locale, d), str(say.params["body"]).strip(), lead), buttons


def lock_screen(locale: str, disguise: Disguise, caps: ChannelCapabilities | None) -> str:
    """What her lock screen will show when the preview arrives (for the worker's page)."""
    body, _buttons = catalog.render(preview_say(0, caps), locale, disguise)
    return preview(body)
