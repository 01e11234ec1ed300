"""A worker's live conversation, pure (flows/live_chat.py and the router's `to_worker` rule): her
free text goes to the worker who holds it, nothing is answered; danger, her PIN, buttons and the
words that work everywhere (exit, stop, help) still do what they always do."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from flows import live_chat, router
from flows.types import ForgetInbound, QuickExitRequested, RaiseEscalation, SetStatus, ToWorker, UserInput
from tests.flows.conftest import NOW, PIN, context

MENU = {"flow": "menu", "step": "main", "touched": NOW.isoformat(), "options": ["menu:info", "menu:callback"]}


def held(**changes):
    return replace(context(**changes), worker_holds=True)


def route(text: str | None = None, button: str | None = None, ctx=None):
    ctx = ctx or held()
    return router.route(UserInput(ctx.channel, NOW, text=text, button=button), MENU, ctx)


def test_her_free_text_goes_to_the_worker_and_nothing_is_answered() -> None:
    res = route("yes I can talk now")
    assert [type(e) for e in res.effects] == [ToWorker]
    assert res.says == []


def test_without_a_worker_her_free_text_goes_to_the_menu_as_before() -> None:
    res = route("yes I can talk now", ctx=context())
    assert not any(isinstance(e, ToWorker) for e in res.effects)


def test_danger_still_raises_the_alert_while_a_worker_holds_her_conversation() -> None:
    res = route("he is here help me", ctx=replace(held(), danger=True))
    assert any(isinstance(e, RaiseEscalation) and e.priority == "urgent" for e in res.effects)
    assert not any(isinstance(e, ToWorker) for e in res.effects)
    assert res.says  # the emergency numbers at once


def test_exit_stop_her_pin_and_buttons_are_never_sent_to_the_worker() -> None:
    assert any(isinstance(e, QuickExitRequested) for e in route("exit").effects)
    assert any(isinstance(e, SetStatus) for e in route("stop").effects)
    pin = route(PIN)
    assert any(isinstance(e, ForgetInbound) for e in pin.effects) and not any(
        isinstance(e, ToWorker) for e in pin.effects)
    assert not any(isinstance(e, ToWorker) for e in route(button="menu:info").effects)


def test_only_the_holder_of_the_alert_writes_and_one_worker_holds_her_conversation() -> None:
    assert live_chat.may_write(None, staff_id=1, holder_of_escalation=1)
    assert not live_chat.may_write(None, staff_id=2, holder_of_escalation=1)
    assert not live_chat.may_write(live_chat.Held(3, NOW), staff_id=1, holder_of_escalation=1)
    assert live_chat.may_write(live_chat.Held(1, NOW), staff_id=1, holder_of_escalation=1)


def test_our_message_answers_her_only_while_she_is_writing_else_it_waits_for_her_windows_and_pause() -> None:
    idle = timedelta(minutes=30)
    assert live_chat.counts_as_reply(NOW - timedelta(minutes=29), NOW, idle, paused=False)
    assert not live_chat.counts_as_reply(NOW - timedelta(minutes=31), NOW, idle, paused=False)
    assert not live_chat.counts_as_reply(None, NOW, idle, paused=False)
    # her quick exit was the last thing she wrote: nothing of ours goes at once until she writes again
    assert not live_chat.counts_as_reply(NOW - timedelta(seconds=5), NOW, idle, paused=True)


def test_a_conversation_nobody_wrote_in_for_the_idle_time_ends() -> None:
    after = timedelta(minutes=30)
    assert not live_chat.idle(live_chat.Held(1, NOW - after + timedelta(seconds=1)), NOW, after)
    assert live_chat.idle(live_chat.Held(1, NOW - after), NOW, after)
