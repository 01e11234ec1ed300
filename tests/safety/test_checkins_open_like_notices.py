"""Issue 22, item 6, from his side of the phone (Telegram and SMS, en and de): a check-in opens like a
notice. What arrives unasked is a neutral opener under her cover title (a button, or "1" on SMS);
the first question comes only after she opens it (and after her PIN where her settings ask for it);
and no question of any check-in, nor a notice's text, is ever where a lock screen or chat list shows
a message: its first two lines and its first PREVIEW_CHARS characters.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select

from bot import catalog
from bot.notices.texts import render as render_notice
from bot.rendering import render
from bot.storage.models import Survivor, WaveInstance
from content import LOCALES
from flows.checkin import question
from flows.notice import TEXT_KEY
from flows.questionnaires import Questionnaire, default_questionnaires
from flows.types import Say
from safety.disguise import PREVIEW_CHARS, Disguise, revealing_preview
from scheduler.jobs import WaveJobs
from tests.support.her_phone import PIN, HerPhone, her_phone

COUNTRY = {"en": "GB", "de": "DE"}
OPEN = {"en": ("Yes, start", "Please send your PIN"), "de": ("Ja, los", "Bitte senden Sie Ihre PIN")}


def collapsed(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def wordings(locale: str) -> list[str]:
    """Every question of every check-in in this locale, in both wordings."""
    return [w for q in questionnaires(locale) for it in q.items for w in (it.wording, it.cover_wording) if w]


def questionnaires(locale: str) -> list[Questionnaire]:
    return [q for (loc, _id, _v), q in default_questionnaires().by_key.items() if loc == locale]


def questions_in_preview(text: str, locale: str, questions: list[str] | None = None) -> list[str]:
    """The questions a lock screen or chat list would show of this message: one in its first two
    lines, or starting inside its first PREVIEW_CHARS characters."""
    lines = [line for line in text.splitlines() if line.strip()][:2]
    flat = collapsed(text)
    shown = []
    for q in questions if questions is not None else wordings(locale):
        start = flat.find(collapsed(q))
        if any(collapsed(q) in collapsed(line) for line in lines) or 0 <= start < PREVIEW_CHARS:
            shown.append(q)
    return shown


# -- every question and notice, every cover, rendered -------------------------------------------------

def test_the_questionnaires_are_found_for_the_checks_below() -> None:
    for locale in LOCALES:
        assert len(wordings(locale)) >= 20


@pytest.mark.parametrize("locale", LOCALES)
def test_no_question_of_any_checkin_is_where_a_lock_screen_shows_it(locale: str) -> None:
    shown = []
    for q in questionnaires(locale):
        for item in q.items:
            for plain in (False, True):
                say = question(q, 1, item, plain=plain)
                covers = [Disguise(plain=True)] if plain else [Disguise(p) for p in catalog.persona_ids()]
                for disguise in covers:
                    body, _buttons = render(say, locale, disguise)
                    shown += questions_in_preview(body, locale, [item.wording, item.cover_wording or item.wording])
    assert shown == []


@pytest.mark.parametrize("locale", LOCALES)
def test_no_notice_text_is_where_a_lock_screen_shows_it(locale: str) -> None:
    text = "He stopped coming to the programme on 9 March 2026."
    for disguise in [Disguise(p) for p in catalog.persona_ids()] + [Disguise(plain=True)]:
        body, _ = render_notice(Say(TEXT_KEY, {"body": text}), locale, disguise)
        assert questions_in_preview(body, locale, [text]) == [], disguise


# -- from her phone ---------------------------------------------------------------------------------

@pytest.fixture(params=("telegram", "sms"))
async def her(request: pytest.FixtureRequest, settings_env: dict[str, object], keyring) -> AsyncIterator[HerPhone]:
    async with her_phone(request.param, settings_env, keyring) as phone:
        yield phone


async def her_checkin_arrives(her: HerPhone, locale: str, **fields: object) -> tuple[WaveInstance, str]:
    await her.enrolled(timezone="UTC", locale=locale, country=COUNTRY[locale], **fields)
    start = her.clock()
    her.clock.set(datetime.combine(start.date() + timedelta(days=1), time(11), start.tzinfo))
    before = len(her.bot_messages())
    await WaveJobs(her.svc.db, her.svc.keyring, clock=her.clock, on_outbox=her.svc.dispatcher.wake).run_once()
    her.svc.dispatcher.wake()
    await her.settled()
    (opener,) = [str(m["text"]) for m in her.bot_messages()[before:]]
    async with her.svc.db.sessions() as s:
        wave = await s.scalar(select(WaveInstance).where(WaveInstance.wave_code == "T0"))
    assert wave is not None and wave.state == "sent"
    return wave, opener


async def she_opens(her: HerPhone, wave: WaveInstance, locale: str):  # type: ignore[no-untyped-def]
    if her.telegram is not None:
        opener = her.bot_messages()[-1]
        assert [label for _p, label in opener["buttons"]][0] == OPEN[locale][0]
        return await her.press(int(opener["message_id"]), f"wave:{wave.id}:start")
    return await her.send("1")


async def her_place(her: HerPhone) -> str | None:
    async with her.svc.db.sessions() as s:
        state = (await s.scalar(select(Survivor.state))) or {}
    place = state.get("checkin") or {}
    return place.get("item") if place.get("stage") == "asking" else None


async def she_answers_every_question(her: HerPhone, wave: WaveInstance, locale: str) -> int:
    """A calm answer to each question in turn (No to every yes/no), until the thanks."""
    q = default_questionnaires().get(locale, wave.questionnaire, wave.questionnaire_version)
    asked = 0
    while (item := await her_place(her)) is not None:
        asked += 1
        scale = q.item(item).scale
        if scale.type == "range":
            await her.send("8")
        elif scale.type == "text":
            await her.send({"en": "nothing more", "de": "nichts weiter"}[locale])
        else:
            codes = scale.codes()
            answer = "no" if "no" in codes else codes[0]
            await her.choose(scale.label(answer))
        assert asked < 40
    return asked


@pytest.mark.parametrize("locale", LOCALES)
async def test_a_checkin_opens_with_a_neutral_opener_and_no_question_ever_shows_on_her_lock_screen(
        her: HerPhone, locale: str) -> None:
    wave, opener = await her_checkin_arrives(her, locale)
    assert opener.startswith(catalog.title(locale, Disguise("garden")) + "\n")
    assert not revealing_preview(opener, catalog.sensitive_pattern(locale), catalog.emergency_number_pattern(locale))
    assert not any(collapsed(w) in collapsed(opener) for w in wordings(locale))  # no question in it at all
    if her.channel == "sms":
        assert f"\n1 {OPEN[locale][0]}" in opener  # "reply 1"

    first = await she_opens(her, wave, locale)
    assert any(collapsed(w) in collapsed(first.text) for w in wordings(locale))  # the first question, now
    assert await she_answers_every_question(her, wave, locale) >= 10
    shown = [(m, q) for m in (str(x["text"]) for x in her.bot_messages()) for q in questions_in_preview(m, locale)]
    assert shown == []


async def test_where_her_settings_ask_for_it_the_first_question_comes_only_after_her_pin(her: HerPhone) -> None:
    wave, opener = await her_checkin_arrives(her, "en", plain_mode=True)
    assert not any(collapsed(w) in collapsed(opener) for w in wordings("en"))
    asked = await she_opens(her, wave, "en")
    assert asked.says(OPEN["en"][1]) and not any(collapsed(w) in collapsed(asked.text) for w in wordings("en"))
    first = await her.send(PIN)
    assert any(collapsed(w) in collapsed(first.text) for w in wordings("en"))
    assert all(questions_in_preview(m, "en") == [] for m in first.texts)
