"""Every notice text, as tests/flows/test_every_flow_text.py checks the flows' texts: every event kind
(and reason class) has a template in every locale; every message of the notice flow, for every
action, channel, mode and lock state, renders in both locales with her cover title first; what a
lock screen or chat list shows of any of them (the preview, the opened notice under its neutral
lead) names nothing and shows no emergency number, with every persona and every country's numbers."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import product

import pytest

from bot import catalog
from bot.channels.registry import capabilities
from bot.notices import texts, urgency
from content import LOCALES
from flows.flow_state import load_state
from flows.notice import ACTIONS, TEXT_KEY, NoticeView, step
from flows.types import Say
from safety.disguise import Disguise, preview_parts, revealing_preview, sensitive_hits
from tests.flows.conftest import NOW, context

COUNTRIES = ("GB", "IE", "DE", "AT", "EU")
DAY = date(2026, 3, 9)


def every_kind() -> list[tuple[str, str | None]]:
    """Each kind, and each reason class of the kinds told apart by one."""
    return [(kind, reason) for kind in urgency.kinds()
            for reason in (urgency.reason_classes(kind) or (None,))]


KINDS = every_kind()


def test_the_kinds_are_the_ten_of_the_brief_with_three_reasons_for_an_exclusion() -> None:
    assert set(urgency.kinds()) == {"started", "session_missed", "dropped_out", "excluded", "completed",
                                    "risk_raised", "risk_lowered", "new_incident", "conditions_changed",
                                    "contact_with_her_reported"}
    assert urgency.reason_classes("excluded") == ("violence_threat", "non_attendance", "other")
    urgent = {(k, r) for k, r in KINDS if urgency.is_urgent(k, r)}
    assert urgent == {("excluded", "violence_threat"), ("risk_raised", None), ("new_incident", None),
                      ("conditions_changed", None)}
    assert urgency.is_urgent("excluded", "a reason nobody listed")  # never less care for a typo
    assert not urgency.is_urgent("excluded", None)  # no reason given: "other"


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(("kind", "reason"), KINDS, ids=[f"{k}-{r}" if r else k for k, r in KINDS])
def test_every_kind_has_a_template_in_every_locale_and_urgent_ones_give_the_numbers(
        locale: str, kind: str, reason: str | None) -> None:
    for country in COUNTRIES:
        body = texts.draft_body(locale, country, kind, reason, DAY, sessions_missed=2)
        assert "{" not in body and "}" not in body, body
        assert texts.format_day(locale, DAY) in body
        numbers = catalog.emergency_number_pattern(locale).findall(body)
        assert bool(numbers) == urgency.is_urgent(kind, reason), (country, numbers)
        assert sensitive_hits(body, catalog.sensitive_pattern(locale)), "explicit: read only after her PIN"


def every_notice_say() -> list[Say]:
    """Every message the notice flow can give: each action, on a notice she can and cannot read,
    answered or not, locked or unlocked, on a chat app and SMS, cover and plain, with and without her
    safe times."""
    found: list[Say] = []
    unlocked = {"flow": "menu", "step": "main", "unlocked_until": (NOW + timedelta(minutes=5)).isoformat()}
    views = [None, NoticeView(7, False, "gone"), NoticeView(7, True, "The text."),
             NoticeView(7, True, "The text.", "got_it")]
    her_times = ([], [{"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "12:00"}])
    for action, view, state, channel, plain, has_pin, windows in product(
            ACTIONS, views, ({"flow": "menu", "step": "main"}, unlocked), ("telegram", "sms"), (False, True),
            (False, True), her_times):
        ctx = context(channel, plain_mode=plain, has_pin=has_pin, contact_windows=windows)
        found += step(action, view, load_state(state), ctx).says
    return list({repr(s): s for s in found}.values())


SAYS = every_notice_say()


def test_the_walk_meets_every_message_of_a_notice() -> None:
    keys = {s.key for s in SAYS}
    assert {"notice.gone", "notice.thanks", "notice.ring_noted", "notice.sms_warning", TEXT_KEY, "pin.ask",
            "common.already_done"} <= keys
    assert all(s.sensitive for s in SAYS if s.key == TEXT_KEY)
    assert not any(s.sensitive for s in SAYS if s.key != TEXT_KEY)


@pytest.mark.parametrize("locale", LOCALES)
def test_every_notice_message_carries_her_cover_and_shows_nothing_on_a_lock_screen(locale: str) -> None:
    pattern, numbers = catalog.sensitive_pattern(locale), catalog.emergency_number_pattern(locale)
    bodies = [texts.draft_body(locale, c, k, r, DAY) for (k, r), c in product(KINDS, COUNTRIES)]
    problems = set()
    previews = [texts.preview_say(7, capabilities("telegram")), texts.preview_say(7, capabilities("sms"))]
    for say, persona in product([*SAYS, *previews],
                                catalog.persona_ids()):
        variants = [Say(say.key, {"body": b}, say.options, say.sensitive) for b in bodies] \
            if say.key == TEXT_KEY else [say]
        for one in variants:
            body, buttons = texts.render(one, locale, Disguise(persona))
            if not body.startswith(catalog.title(locale, Disguise(persona)) + "\n"):
                problems.add((say.key, "no cover title"))
            if revealing_preview(body, pattern, numbers):
                problems.add((say.key, "sensitive preview"))
            if not one.sensitive and sensitive_hits(body + " ".join(b.label for b in buttons), pattern):
                problems.add((say.key, "sensitive text"))
            plain_body, _ = texts.render(one, locale, Disguise(plain=True))
            if any(numbers.search(part) for part in preview_parts(plain_body)):
                problems.add((say.key, "emergency number in the preview (plain mode)"))
    assert problems == set()


def test_the_preview_is_the_cover_title_and_a_new_note_on_every_channel() -> None:
    body, buttons = texts.render(texts.preview_say(7, capabilities("telegram")), "en", Disguise("garden"))
    assert body == "🌱 Green Thumbs Club\nA new note for you — reply 1 to read."
    assert [(b.payload, b.label) for b in buttons] == [("notice:7:open", "📖 Read")]
    body, buttons = texts.render(texts.preview_say(7, capabilities("sms")), "de", Disguise("garden"))
    assert body == "🌱 Gartenfreunde\nEine neue Notiz für Sie — antworten Sie mit 1 zum Lesen." and buttons == ()
