"""Issue 22, item 4, pure: quick exit, stop and erasure happen only on her exact command word or a
button; what the NLU guesses can only offer them (a question with a button), never do them."""

from __future__ import annotations

from dataclasses import replace

import pytest

from flows import router
from flows.keywords import SMS_STOP, keyword
from flows.types import EraseRequested, QuickExitRequested, SetStatus, UserInput
from tests.flows.conftest import NOW, context

MENU = {"flow": "menu", "step": "main"}
DESTRUCTIVE = (QuickExitRequested, SetStatus, EraseRequested)


def route(text: str | None = None, *, channel: str = "telegram", intent: str | None = None,
          button: str | None = None, state: dict | None = None):
    ctx = replace(context(channel), intent=intent, interpreted=intent is not None)
    return router.route(UserInput(channel, NOW, text=text, button=button), state or MENU, ctx)


@pytest.mark.parametrize(("typed", "word"), [
    ("STOP", "stop"), ("stop!", "stop"), ("  Stop. ", "stop"), ('"stop"', "stop"), ("STOPP", "stop"),
    ("EXIT", "exit"), ("exit!!", "exit"), ("🚪 Exit", "exit"), ("Raus", "exit"), ("/exit", "exit"),
])
def test_her_exact_command_word_is_a_command_whatever_its_case_spaces_or_punctuation(typed: str, word: str) -> None:
    assert keyword(typed) == word


@pytest.mark.parametrize("typed", [
    "i took all my tablets i just want it to stop", "please stop", "stop it", "look", "exit now please",
    "<b>exit</b>", "<script>exit()</script>", "raus hier",
])
def test_a_command_word_inside_a_sentence_is_no_command(typed: str) -> None:
    assert keyword(typed) is None
    assert keyword(typed, SMS_STOP) is None


@pytest.mark.parametrize("channel", ["telegram", "sms"])
def test_the_word_stop_in_a_sentence_goes_to_the_nlu_like_any_free_text(channel: str) -> None:
    res = route("i took all my tablets i just want it to stop", channel=channel)
    assert not any(isinstance(e, DESTRUCTIVE) for e in res.effects)
    assert [type(e).__name__ for e in res.effects] == ["Interpret"]


@pytest.mark.parametrize("channel", ["telegram", "sms"])
@pytest.mark.parametrize("typed", ["look", "<b>hi</b>"])
def test_a_guessed_quick_exit_is_offered_with_a_button_and_not_done(channel: str, typed: str) -> None:
    res = route(typed, channel=channel, intent="quick_exit")
    assert not any(isinstance(e, DESTRUCTIVE) for e in res.effects)
    [offer] = res.says
    assert offer.key == ("fallback.confirm_exit_sms" if channel == "sms" else "fallback.confirm_exit")
    assert [o.payload for o in offer.options] == ["menu:exit", "menu:main"]


def test_a_guessed_stop_is_offered_with_a_button_and_not_done() -> None:
    res = route("i want this to stop", intent="stop")
    assert not any(isinstance(e, DESTRUCTIVE) for e in res.effects)
    assert res.says[0].key == "fallback.confirm_stop"
    assert [o.payload for o in res.says[0].options] == ["menu:stop", "menu:main"]


def test_a_guessed_delete_my_data_erases_nothing_it_asks_first() -> None:
    res = route("delete everything about me", intent="delete_data")
    assert not any(isinstance(e, DESTRUCTIVE) for e in res.effects)


@pytest.mark.parametrize("channel", ["telegram", "sms"])
def test_the_offered_button_or_its_number_does_it(channel: str) -> None:
    offered = route("look", channel=channel, intent="quick_exit")
    state = offered.state.dump()
    if channel == "sms":
        res = route("1", channel=channel, state=state)
    else:
        res = route(button="menu:exit", channel=channel, state=state)
    assert any(isinstance(e, QuickExitRequested) for e in res.effects)


@pytest.mark.parametrize("channel", ["telegram", "sms"])
def test_the_exact_words_still_do_it_at_once(channel: str) -> None:
    assert any(isinstance(e, QuickExitRequested) for e in route("EXIT", channel=channel).effects)
    assert SetStatus("stopped") in route("Stop!", channel=channel).effects


# -- item 7: no reply promises a call-back that was not recorded ---------------------------------------

def _ring_me(channel: str, windows: list, unlocked: bool = True):
    from datetime import timedelta

    from flows import notice
    from flows.types import NoticeAnswered, NoticeView

    ctx = replace(context(channel, contact_windows=windows))
    view = NoticeView(id=3, readable=True, body="text")
    state = {"flow": "menu", "step": "main",
             "unlocked_until": (NOW + timedelta(minutes=5)).isoformat() if unlocked else None}
    res = router.route(UserInput(channel, NOW, button=notice.payload(3, "ring_me")), state,
                       replace(ctx, notices={3: view}))
    answered = [e for e in res.effects if isinstance(e, NoticeAnswered)]
    return res, answered


WINDOW = {"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "12:00"}


def test_ring_me_on_sms_with_her_times_books_this_number_at_those_times_and_says_so() -> None:
    res, [answered] = _ring_me("sms", [WINDOW])
    assert answered.book_callback and [s.key for s in res.says] == ["notice.ring_noted"]


@pytest.mark.parametrize(("channel", "windows"), [("sms", []), ("telegram", []), ("telegram", [WINDOW])])
def test_ring_me_without_her_times_or_number_books_nothing_and_asks_for_them(channel: str, windows: list) -> None:
    res, [answered] = _ring_me(channel, windows)
    assert not answered.book_callback  # a worker is told; nothing is promised yet
    keys = [s.key for s in res.says]
    assert "notice.ring_noted" not in keys and keys[0] == "notice.ring_asked"
    assert keys[1] == ("callback.when" if windows else "callback.other")


def test_ring_me_while_locked_asks_her_pin_before_the_times() -> None:
    res, [answered] = _ring_me("telegram", [], unlocked=False)
    assert not answered.book_callback and [s.key for s in res.says] == ["notice.ring_asked", "pin.ask"]
