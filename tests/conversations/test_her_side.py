"""Issue 15, her side driven from outside: what she still saw that she should not, and what she could
not find. Every test drives the running service through each channel (the fake Telegram Bot API, the fake
Twilio, the simulator's web API, and the test-only plain channel) and looks at what her phone (chat or
thread) shows, in English and German where text is involved. What to expect is asked of the channel's
capabilities (`her.caps`), as the service asks them, never of its name.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot import catalog
from bot.storage.models import CallbackRequest, ConsentRecord, Escalation, InboundMessage, Survivor
from content import LOCALES
from safety.disguise import revealing_preview
from tests.support.db_scan import everything_stored
from tests.support.her_phone import DURESS, EVERY_CHANNEL, PIN, HerPhone, her_phone

T = {  # what she types and taps, and what she reads, per locale
    "en": {"menu": "MENU", "numbers": "NUMBERS", "ring": "Ring me", "other": "Other times", "stop": "STOP",
           "help": "HELP", "exit": "EXIT", "useful": "Useful numbers", "settings": "Settings",
           "ending": "ending in 123", "pin?": "send your PIN", "bad_pin": "PIN not recognised",
           "continue": "Continue the questions", "unsubscribed": "unsubscribed", "danger": "he is here help me",
           "incident": "he hit me last night", "stranger": "Hi, who is this?"},
    "de": {"menu": "MENÜ", "numbers": "NUMMERN", "ring": "Bitte anrufen", "other": "Andere Zeiten", "stop": "STOPP",
           "help": "HILFE", "exit": "RAUS", "useful": "Nützliche Nummern", "settings": "Einstellungen",
           "ending": "Endung 123", "pin?": "senden Sie Ihre PIN", "bad_pin": "PIN nicht erkannt",
           "continue": "Fragen fortsetzen", "unsubscribed": "abgemeldet", "danger": "er ist hier, hilfe",
           "incident": "er hat mich gestern geschlagen", "stranger": "Hallo, wer ist da?"},
}
COUNTRY = {"en": "GB", "de": "DE"}
CHANNELS = EVERY_CHANNEL


@pytest.fixture(params=CHANNELS)
async def her(request: pytest.FixtureRequest, settings_env: dict[str, object], keyring) -> AsyncIterator[HerPhone]:
    async with her_phone(request.param, settings_env, keyring) as phone:
        yield phone


async def duress_set_on_her_console_page(her: HerPhone) -> None:
    """What her worker does with her during a call (console/pin_views.py, tested there)."""
    async with her.svc.db.transaction() as s:
        survivor = await s.scalar(select(Survivor))
        assert survivor is not None
        survivor.duress_pin_hash = her.svc.pin_hasher.hash(DURESS)


async def escalations(her: HerPhone) -> list[tuple[str, str]]:
    async with her.svc.db.sessions() as s:
        return [(e.priority, e.reason) for e in (await s.scalars(select(Escalation))).all()]


# -- 1. her number stays on her screen ------------------------------------------------------------

@pytest.mark.parametrize("locale", LOCALES)
async def test_the_number_she_gives_for_a_call_back_leaves_her_screen_and_comes_back_as_three_digits(
        her: HerPhone, locale: str) -> None:
    t = T[locale]
    await her.enrolled(locale=locale, country=COUNTRY[locale])
    await her.send(t["menu"])
    assert (await her.choose(t["ring"])).says(t["pin?"])
    await her.send(PIN)
    await her.choose(t["other"])
    await her.send("Mon-Fri 9-12" if locale == "en" else "Mo-Fr 9-12")
    confirm = await her.send("07700 900123")
    assert confirm.says(t["ending"])
    everything_of_ours = "\n".join(m["text"] for m in her.bot_messages())
    assert "900123" not in everything_of_ours and "900 123" not in everything_of_ours
    if her.caps.deletes_messages:  # her own message with the number is deleted, as her PIN messages are
        assert not any("900123" in text or "900 123" in text for text in her.screen_texts())
    async with her.svc.db.sessions() as s:
        kept = [m.body for m in (await s.scalars(select(InboundMessage))).all()]
    assert not any(body and "900" in body for body in kept)  # her message's text is not kept
    await her.choose("✅")
    async with her.svc.db.sessions() as s:
        request = await s.scalar(select(CallbackRequest))
    assert request is not None and request.phone == "07700900123"  # kept for the worker, encrypted
    raw = await her.svc.db.engine.connect()
    try:
        from sqlalchemy import text

        stored = (await raw.execute(text("SELECT phone FROM callback_requests"))).scalar_one()
    finally:
        await raw.close()
    assert stored.startswith("enc1:") and "900123" not in stored
    assert (await everything_stored(her.svc.db)).count("07700900123") == 1  # only the call-back record


# -- 2. emergency numbers in a two-line preview; sent unasked after an incident --------------------

@pytest.mark.parametrize("locale", LOCALES)
async def test_the_numbers_message_shows_no_number_in_its_preview_and_the_numbers_below(
        her: HerPhone, locale: str) -> None:
    t = T[locale]
    await her.enrolled(locale=locale, country=COUNTRY[locale])
    reply = await her.send(t["numbers"])
    numbers = reply.texts[0]
    assert not revealing_preview(numbers, catalog.sensitive_pattern(locale), catalog.emergency_number_pattern(locale))
    assert numbers.startswith("🌱 ") and ("112" in numbers and ("999" in numbers or "110" in numbers))
    danger = await her.send(t["danger"])  # the danger net still sends them at once, same format
    assert catalog.emergency_number_pattern(locale).search(danger.texts[0])
    assert not revealing_preview(danger.texts[0], catalog.sensitive_pattern(locale),
                                 catalog.emergency_number_pattern(locale))


@pytest.mark.parametrize("locale", LOCALES)
async def test_after_she_reports_an_incident_the_numbers_are_offered_not_sent(her: HerPhone, locale: str) -> None:
    t = T[locale]
    await her.enrolled(locale=locale, country=COUNTRY[locale])
    reply = await her.send(t["incident"])
    assert ("high", "report_incident") in await escalations(her) or ("high", "feeling_unsafe") in await escalations(her)
    pattern = catalog.emergency_number_pattern(locale)
    assert not any(pattern.search(text) for text in reply.texts)
    offered = await her.choose(t["useful"])
    assert pattern.search(offered.texts[0])


# -- 5. SMS after STOP; no EXIT promise SMS cannot keep --------------------------------------------

@pytest.mark.parametrize("locale", LOCALES)
async def test_after_stop_one_confirmation_then_silence_except_for_danger(her: HerPhone, locale: str) -> None:
    t = T[locale]
    await her.enrolled(locale=locale, country=COUNTRY[locale])
    stopped = await her.send(t["stop"])
    assert len(stopped.texts) == 1 and stopped.says(t["unsubscribed"])
    later = [await her.send(words) for words in ("hello?", t["stop"], "1", "ok")]
    if her.caps.silent_after_stop:
        assert [r.texts for r in later] == [[], [], [], []]  # carriers: one confirmation, then nothing
    else:
        assert all(r.says("START") for r in later[:1])  # a chat can say how to start again
    danger = await her.send(t["danger"])
    assert catalog.emergency_number_pattern(locale).search(danger.text)  # the danger net is never silenced
    back = await her.send("START")
    assert back.texts and not back.says(t["unsubscribed"] + ".")


@pytest.mark.parametrize("locale", LOCALES)
async def test_help_on_sms_says_what_exit_does_there_and_promises_no_clearing_of_the_screen(
        her: HerPhone, locale: str) -> None:
    t = T[locale]
    await her.enrolled(locale=locale, country=COUNTRY[locale])
    help_text = (await her.send(t["help"])).text
    clears = {"en": "clear the screen", "de": "Bildschirm zu leeren"}[locale]
    quiet = {"en": "stay quiet", "de": "eine Weile still"}[locale]
    if her.caps.exit == "pause_outbound":
        assert clears not in help_text and quiet in help_text
    else:
        assert clears in help_text


@pytest.mark.parametrize("locale", LOCALES)
async def test_enrolment_by_sms_promises_nothing_sms_cannot_do_and_the_duress_pin_looks_like_a_wrong_one(
        her: HerPhone, locale: str) -> None:
    """Items 5 and 6 along her whole enrolment: what the texts promise is what she gets."""
    t = T[locale]
    yes, go = {"en": ("Yes", "Continue"), "de": ("Ja", "Weiter")}[locale]
    invited = await her.invitation(locale=locale, country=COUNTRY[locale])
    if her.caps.phone_address:  # the opt-in came to her number: she says yes to it
        invited = await her.send({"en": "YES", "de": "JA"}[locale])
    warning = invited.text
    await her.choose(go)
    await her.choose(go)
    for _ in range(3):
        await her.choose(yes)
    await her.choose({"en": "Green Thumbs", "de": "Gartenfreunde"}[locale])
    await her.send(PIN)
    saved = await her.send(PIN)
    if her.caps.deletes_messages:
        await her.send(DURESS)
        await her.send(DURESS)
        # 6: the enrolment text says the second PIN answers exactly as a mistyped PIN does
        assert saved.says(t["bad_pin"])
    else:  # issue 22: a thread that stays on her phone never speaks of a second PIN
        assert not saved.says(t["bad_pin"]) and not saved.says("PIN")
        await duress_set_on_her_console_page(her)
    done = await her.choose({"en": "Later", "de": "Später"}[locale])
    # 5: on SMS nothing promises to clear the screen
    clears = {"en": ["leave only that title on screen", "clear the screen"],
              "de": ["nur noch dieser Titel zu sehen", "Bildschirm zu leeren"]}[locale]
    if not her.caps.deletes_messages:
        assert not any(c in warning + done.text for c in clears)
    else:
        assert all(any(c in text for c in clears) for text in (warning, done.text))

    await her.send(t["menu"])
    await her.choose(t["settings"])
    wrong = await her.send("1357")
    await her.send(t["menu"])
    await her.choose(t["settings"])
    duress = await her.send(DURESS)
    assert wrong.texts == duress.texts and wrong.says(t["bad_pin"])  # nothing tells them apart
    assert ("urgent", "duress_pin") in await escalations(her)


# -- 7. German command words and button; the stranger reply -----------------------------------------

async def test_german_command_words_are_shown_and_accepted(her: HerPhone) -> None:
    t = T["de"]
    await her.enrolled(locale="de", country="DE")
    help_text = (await her.send("HILFE")).text
    assert "STOPP" in help_text and "RAUS" in help_text and "EXIT" not in help_text
    assert " STOP," not in help_text
    menu = await her.send("MENÜ")
    if her.caps.inline_buttons:
        assert "🚪 Raus" in menu.labels()
    else:
        assert "🚪 Raus" in menu.text
    assert "Exit" not in menu.text + " ".join(menu.labels())
    before = len(her.bot_messages())
    await her.send("raus")
    if her.caps.exit == "delete_chat":  # the chat is emptied but for one cover message
        assert len(her.screen_texts()) == 1 and her.screen_texts()[0].startswith("🌱 Gartenfreunde\n")
    else:
        assert len(her.bot_messages()) == before  # SMS: quick exit pauses, nothing arrives
    stopped = await her.send(t["stop"])
    assert stopped.says("abgemeldet") and stopped.says("START")


@pytest.mark.parametrize("locale", LOCALES)
async def test_a_stranger_gets_a_neutral_reply_naming_the_channel_in_the_language_she_wrote(
        her: HerPhone, locale: str) -> None:
    reply = await her.send(T[locale]["stranger"])
    expected = {  # by whether her address is a phone number
        ("en", False): "Sorry, this chat does not take messages. Have a nice day.",
        ("en", True): "Sorry, this number does not take messages. Have a nice day.",
        ("de", False): "Leider werden in diesem Chat keine Nachrichten angenommen. Einen schönen Tag noch.",
        ("de", True): "Leider werden unter dieser Nummer keine Nachrichten angenommen. Einen schönen Tag noch.",
    }
    assert reply.texts == [expected[(locale, her.caps.phone_address)]]


# -- 8. buttons that already did their job -----------------------------------------------------------

@pytest.mark.parametrize("locale", LOCALES)
async def test_a_spent_button_answers_already_done_and_loses_its_keyboard(
        settings_env: dict[str, object], keyring, locale: str) -> None:
    yes, go = {"en": ("Yes", "Continue"), "de": ("Ja", "Weiter")}[locale]
    done = {"en": "Already done.", "de": "Schon erledigt."}[locale]
    async with her_phone("telegram", settings_env, keyring) as her:
        await her.invitation(locale=locale, country=COUNTRY[locale])
        await her.choose(go)
        question = await her.choose(go)
        first = question.ids[-1]
        await her.choose(yes)  # question 1 answered: question 2 is on screen
        fake = her.telegram
        assert fake is not None
        again = await her.press(first, "yes")  # the same "Yes" under question 1 once more
        assert again.texts == []  # it does not answer question 2
        answer = fake.calls("answerCallbackQuery")[-1].params
        assert answer.get("text") == done
        assert int(fake.calls("editMessageReplyMarkup")[-1].params["message_id"]) == first
        assert next(m for m in her.bot_messages() if m["message_id"] == first)["buttons"] == []
        async with her.svc.db.sessions() as s:
            consents = (await s.scalars(select(ConsentRecord.kind))).all()
        assert consents == ["information"]

        await her.choose(yes)
        personas = await her.choose(yes)
        persona_message = personas.ids[-1]
        await her.choose({"en": "Green Thumbs", "de": "Gartenfreunde"}[locale])
        assert (await her.press(persona_message, "persona:recipes")).texts == []
        assert fake.calls("answerCallbackQuery")[-1].params.get("text") == done
        menu_button = await her.send("menu")  # menu buttons stay pressable (they are the menu)
        assert menu_button.texts


@pytest.mark.parametrize("locale", LOCALES)
async def test_on_sms_a_number_out_of_context_brings_the_menu(settings_env: dict[str, object], keyring,
                                                              locale: str) -> None:
    async with her_phone("sms", settings_env, keyring) as her:
        await her.enrolled(locale=locale, country=COUNTRY[locale])
        await her.send(T[locale]["menu"])
        reply = await her.send("9")
        assert reply.says({"en": "didn't get that", "de": "nicht verstanden"}[locale])
        assert reply.says(T[locale]["useful"]) and reply.says(T[locale]["ring"])


async def test_in_the_simulator_a_spent_button_answers_already_done_and_loses_its_buttons(chat) -> None:
    phone = chat.phone("her")
    await phone.send(await chat.invite())
    await phone.tap("Continue")
    await phone.tap("Continue")
    question_1 = next(m for m in reversed(phone.screen) if m["buttons"])
    await phone.tap("Yes")
    async with chat.http.post(f"{chat.base}/simulator/api/messages",
                              json={"user": "her", "button": "yes", "message": question_1["id"]}) as resp:
        data = await resp.json()
    assert data["notice"] == "Already done."
    shown = {m["id"]: m for m in data["messages"]}
    assert shown[question_1["id"]]["buttons"] == []
    async with chat.service.db.sessions() as s:
        assert (await s.scalars(select(ConsentRecord.kind))).all() == ["information"]


# -- 3 and 4: surveys and quick exit -------------------------------------------------------------------
# (see test_her_side_waves.py)
