"""Issue 22, items 2 and 3, from his side of the phone: he may read her whole SMS thread, and he
may pick up her Telegram chat an hour after she enrolled.

SMS: only her PIN is ever chosen by text; no message names a second PIN or says which digits do
what; none promises to remove her messages (a text cannot be taken back); each time she must type
her PIN she is asked to delete her message; no message of ours repeats her digits. Her second
(duress) PIN is set by her worker with her during a call, on her console page (liaison workers only,
audited without the digits, stored hashed), and then works wherever her PIN is asked for.
Telegram: she chooses the second PIN in the chat, and every message about it expires like her
private pages.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.actions.expiry import expire_due
from bot.storage.models import AuditEvent, Escalation, OutboundMessage, Survivor
from content import LOCALES
from tests.support.console import ConsoleClient, make_staff
from tests.support.her_phone import DURESS, PIN, HerPhone, her_phone

T = {
    "en": {"yes": "Yes", "go": "Continue", "persona": "Green Thumbs", "later": "Later", "menu": "MENU",
           "settings": "Settings", "change_pin": "Change PIN", "wrong": "PIN not recognised",
           "delete": "delete", "second": ["second pin", "duress", "someone ever makes you"],
           "removes": ["we remove", "remove your pin"], "ask": "Please send your PIN",
           "not_usable": "can't be used"},
    "de": {"yes": "Ja", "go": "Weiter", "persona": "Gartenfreunde", "later": "Später", "menu": "MENÜ",
           "settings": "Einstellungen", "change_pin": "PIN ändern", "wrong": "PIN nicht erkannt",
           "delete": "löschen", "second": ["zweite pin", "zwingt"], "removes": ["wir entfernen"],
           "ask": "Bitte senden Sie Ihre PIN", "not_usable": "gehen nicht"},
}
COUNTRY = {"en": "GB", "de": "DE"}


@pytest.fixture(params=("telegram", "sms"))
async def her(request: pytest.FixtureRequest, settings_env: dict[str, object], keyring) -> AsyncIterator[HerPhone]:
    async with her_phone(request.param, settings_env, keyring) as phone:
        yield phone


async def enrols(her: HerPhone, locale: str) -> list[str]:
    """Her whole enrolment from the invitation, choosing her PIN (and, where she can, her second
    PIN); returns the texts of ours that asked her to type digits."""
    t = T[locale]
    invited = await her.invitation(locale=locale, country=COUNTRY[locale])
    if her.channel == "sms":
        await her.send({"en": "YES", "de": "JA"}[locale])
    assert invited.texts
    await her.choose(t["go"])
    await her.choose(t["go"])
    for _ in range(3):
        await her.choose(t["yes"])
    prompts = [(await her.choose(t["persona"])).texts[-1]]
    prompts += (await her.send(PIN)).texts
    saved = await her.send(PIN)
    if her.channel == "telegram":
        prompts += saved.texts
        prompts += (await her.send(DURESS)).texts
        await her.send(DURESS)
    await her.choose(t["later"])
    return prompts


def ours(her: HerPhone) -> list[str]:
    return [str(m["text"]) for m in her.bot_messages()]


@pytest.mark.parametrize("locale", LOCALES)
async def test_an_sms_thread_never_names_a_second_pin_never_repeats_her_digits_and_asks_her_to_delete_them(
        settings_env: dict[str, object], keyring, locale: str) -> None:
    t = T[locale]
    async with her_phone("sms", settings_env, keyring) as her:
        prompts = await enrols(her, locale)
        her.clock.advance(minutes=11)  # her private pages close again after her unlock period
        await her.send(t["menu"])
        asked = await her.choose(t["settings"])
        opened = await her.send(PIN)
        thread = ours(her)

    assert all(t["delete"] in p.casefold() for p in prompts)  # choosing her PIN, and confirming it
    assert asked.says(t["ask"]) and t["delete"] in asked.text.casefold()  # asked for it later
    assert opened.texts and not opened.says(t["wrong"])
    whole = "\n".join(thread).casefold()
    assert not any(word in whole for word in t["second"])
    assert not any(word in whole for word in t["removes"])  # a text cannot be taken back: no such promise
    assert PIN not in whole and DURESS not in whole  # never echoed


@pytest.mark.parametrize("locale", LOCALES)
async def test_on_sms_changing_her_pin_names_no_other_pin_and_her_second_pin_is_refused_without_saying_so(
        settings_env: dict[str, object], keyring, locale: str) -> None:
    t = T[locale]
    async with her_phone("sms", settings_env, keyring) as her:
        await her.enrolled(locale=locale, country=COUNTRY[locale])
        await her.send(t["menu"])
        await her.choose(t["settings"])
        await her.send(PIN)
        choose = await her.choose(t["change_pin"])  # straight to choosing: no "which PIN?"
        refused = await her.send(DURESS)
        thread = "\n".join(ours(her)).casefold()
        async with her.svc.db.sessions() as s:
            survivor = await s.scalar(select(Survivor))
    assert survivor is not None and her.svc.pin_hasher.matches(survivor.pin_hash or "", PIN)
    assert t["delete"] in choose.text.casefold() and refused.says(t["not_usable"])
    assert not any(word in thread for word in t["second"]) and DURESS not in thread


async def test_her_worker_sets_her_second_pin_on_her_page_and_it_then_works_by_sms(
        settings_env: dict[str, object], keyring) -> None:
    async with her_phone("sms", settings_env, keyring) as her:
        sid, _ = await her.enrolled(duress_pin_hash=None)
        async with her.svc.db.sessions() as s:
            pseudonym = (await s.get(Survivor, sid)).pseudonym  # type: ignore[union-attr]
        page = f"/console/survivors/{pseudonym}"
        worker, evaluator = ConsoleClient(her.base), ConsoleClient(her.base)
        try:
            assert await worker.sign_in(await make_staff(her.svc, "ana", ["liaison"]), her.clock()) == 303
            assert await evaluator.sign_in(await make_staff(her.svc, "eve", ["evaluator"]), her.clock()) == 303
            _s, html, _l = await worker.get(page)
            assert 'id="duress-state">not set' in html and "during a call" in html
            assert (await evaluator.post(page + "/duress-pin", {"duress_pin": DURESS, "duress_pin_again": DURESS})
                    )[0] == 403
            for first, again in ((PIN, PIN), (DURESS, "7396"), ("1234", "1234"), ("12a4", "12a4")):
                _s, _b, where = await worker.post(page + "/duress-pin", {"duress_pin": first,
                                                                        "duress_pin_again": again})
                assert "not set" in (worker.flash or "")  # her PIN, two different entries, easy to guess, not digits
            status, _b, where = await worker.post(page + "/duress-pin", {"duress_pin": DURESS,
                                                                         "duress_pin_again": DURESS})
            assert status == 303 and "is set" in (worker.flash or "")
            _s, html, _l = await worker.get(page)
            assert 'id="duress-state">set' in html and DURESS not in html
        finally:
            await worker.close()
            await evaluator.close()
        async with her.svc.db.sessions() as s:
            survivor = await s.get(Survivor, sid)
            audit = (await s.scalars(select(AuditEvent).where(AuditEvent.action == "survivor.duress_pin_set"))).all()
        assert survivor is not None and survivor.duress_pin_hash and DURESS not in survivor.duress_pin_hash
        assert her.svc.pin_hasher.matches(survivor.duress_pin_hash, DURESS)
        assert len(audit) == 1 and audit[0].actor.startswith("staff:") and DURESS not in str(audit[0].details)

        before = len(ours(her))
        await her.send("MENU")
        await her.choose("Settings")
        duress = await her.send(DURESS)  # someone makes her open her settings
        await her.send("MENU")
        await her.choose("Settings")
        wrong = await her.send("9137")
        async with her.svc.db.sessions() as s:
            alerts = (await s.scalars(select(Escalation).where(Escalation.reason == "duress_pin"))).all()
        assert duress.texts == wrong.texts and duress.says("PIN not recognised")
        assert [a.priority for a in alerts] == ["urgent"]
        assert DURESS not in "\n".join(ours(her)[before:])


@pytest.mark.parametrize("locale", LOCALES)
async def test_on_telegram_what_explains_her_second_pin_leaves_the_chat_when_her_private_pages_do(
        settings_env: dict[str, object], keyring, locale: str) -> None:
    t = T[locale]
    async with her_phone("telegram", settings_env, keyring) as her:
        await enrols(her, locale)
        assert any(w in "\n".join(her.screen_texts()).casefold() for w in t["second"])
        async with her.svc.db.sessions() as s:
            explained = (await s.scalars(select(OutboundMessage).where(
                OutboundMessage.text_key.in_(("pin.choose_duress", "pin.duress_saved"))))).all()
        assert len(explained) == 2 and all(m.sensitive and m.expires_at for m in explained)
        her.clock.advance(minutes=61)  # her expiry: the default hour
        async with her.svc.db.transaction() as s:
            await expire_due(s, her.clock())
        her.svc.dispatcher.wake()
        await her.settled()
        screen = "\n".join(her.screen_texts()).casefold()
    assert not any(w in screen for w in t["second"])
    assert PIN not in screen and DURESS not in screen


async def test_on_telegram_changing_her_second_pin_in_settings_expires_too(settings_env: dict[str, object],
                                                                           keyring) -> None:
    async with her_phone("telegram", settings_env, keyring) as her:
        await her.enrolled()
        await her.send("MENU")
        await her.choose("Settings")
        await her.send(PIN)
        which = await her.choose("Change PIN")
        assert "My second PIN" in which.labels()
        await her.choose("My second PIN")
        await her.send("2580")
        await her.send("2580")
        async with her.svc.db.sessions() as s:
            rows = (await s.scalars(select(OutboundMessage).where(OutboundMessage.text_key.in_(
                ("settings.pin", "pin.choose_duress", "pin.duress_saved"))))).all()
        assert len(rows) == 3 and all(r.sensitive and r.expires_at is not None for r in rows)
        assert rows[0].expires_at <= rows[0].sent_at + timedelta(hours=1)  # type: ignore[operator]
