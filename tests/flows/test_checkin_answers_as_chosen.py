"""Issue 22, items 5 and 9, pure: on SMS a 0-10 question lists no shifted numbering, the value she
types is the value recorded, and skip/later are words; choice questions keep their numbered lines
(1..n, then skip, later) and record the option with that number. German check-ins say "Sie"."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from bot.waves.checkin_io import render_checkin
from flows.checkin import CheckinContext, Progress, RecordAnswer, question, step
from flows.questionnaires import load_questionnaires
from flows.types import UserInput

QS = load_questionnaires()
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
IID = 41


def ask(qid: str, item: str, text: str, *, locale: str = "en", numbered: bool = True) -> RecordAnswer | None:
    q = QS.get(locale, qid, "1")
    ctx = CheckinContext(q, IID, {}, {}, None, False, "GB", numbered=numbered)
    res = step(ctx, Progress("asking", item), UserInput("sms" if numbered else "telegram", NOW, text=text))
    assert res is not None
    return next((e for e in res.effects if isinstance(e, RecordAnswer)), None)


@pytest.mark.parametrize("locale", ("en", "de"))
def test_on_sms_the_0_to_10_question_lists_no_numbers_and_says_to_reply_with_the_value(locale: str) -> None:
    q = QS.get(locale, "checkin", "1")
    say = question(q, IID, q.item("safe"), plain=False, numbered=True)
    assert say.options == ()
    body, buttons = render_checkin(say, locale)
    assert buttons == ()
    assert "0" in body and "10" in body and ("'skip'" in body or "'überspringen'" in body)
    assert not re.search(r"^\d{1,2} ", body, re.MULTILINE)  # no "1 0", "12 Skip" lines


@pytest.mark.parametrize("typed", [str(n) for n in range(11)])
def test_on_sms_the_number_she_types_is_the_value_recorded(typed: str) -> None:
    recorded = ask("checkin", "safe", typed)
    assert recorded is not None and recorded.value == typed


@pytest.mark.parametrize(("typed", "recorded"), [("12", None), ("13", None), ("11", None)])
def test_on_sms_a_number_off_the_scale_is_asked_again_not_recorded(typed: str, recorded: None) -> None:
    assert ask("checkin", "safe", typed) is recorded


@pytest.mark.parametrize(("typed", "skipped"), [("skip", True), ("überspringen", True)])
def test_on_sms_skip_is_a_word_on_the_0_to_10_question(typed: str, skipped: bool) -> None:
    recorded = ask("checkin", "safe", typed, locale="de" if typed == "überspringen" else "en")
    assert recorded is not None and recorded.skipped is skipped and recorded.value is None


def test_on_telegram_the_0_to_10_buttons_carry_their_values() -> None:
    q = QS.get("en", "checkin", "1")
    say = question(q, IID, q.item("safe"), plain=False, numbered=False)
    _body, buttons = render_checkin(say, "en")
    assert [b.label for b in buttons][:11] == [str(n) for n in range(11)]
    assert all(b.payload.endswith(f":{b.label}") for b in buttons[:11])


@pytest.mark.parametrize(("typed", "value", "skipped"), [
    ("1", "never", False), ("5", "always", False), ("6", None, True),
])
def test_on_sms_a_choice_question_records_the_option_with_the_number_she_sent(
        typed: str, value: str | None, skipped: bool) -> None:
    recorded = ask("checkin", "fear", typed)
    assert recorded is not None and (recorded.value, recorded.skipped) == (value, skipped)


@pytest.mark.parametrize("qid", ("checkin", "full"))
def test_german_check_in_texts_say_sie_never_du(qid: str) -> None:
    q = QS.get("de", qid, "1")
    texts = [str(v) for v in q.texts.values()]
    texts += [t for it in q.items for t in (it.wording, it.cover_wording) if t]
    du = re.compile(r"\b(du|dir|dich|dein\w*|hast|bist|antworte|schreib|wähle|pass auf dich)\b", re.IGNORECASE)
    assert [t for t in texts if du.search(t)] == []
