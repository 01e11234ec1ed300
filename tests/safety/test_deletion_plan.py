"""A deletion plan names the messages to remove at the provider. A whole-chat deletion (quick exit,
erasure) also asks for the ids a send in doubt may have got: Telegram numbers a chat's messages one
after another, so such a message sits between the ids we know or just after the newest."""

from __future__ import annotations

from safety.deletion import SWEEP_AHEAD, SWEEP_MAX, DeletionPlan


def plan(*ids: int, whole_chat: bool = True) -> DeletionPlan:
    return DeletionPlan(tuple(str(i) for i in ids), (1,), (2,), whole_chat=whole_chat)


def test_a_whole_chat_deletion_asks_for_the_gaps_and_the_next_few_ids() -> None:
    swept = plan(10, 11, 13, 14).with_unknown_sends()
    assert swept.provider_ids[:4] == ("10", "11", "13", "14")  # what we know comes first, unchanged
    assert [int(i) for i in swept.provider_ids[4:]] == [12, *range(15, 15 + SWEEP_AHEAD)]


def test_a_targeted_deletion_never_touches_a_message_it_does_not_name() -> None:
    # her PIN message, an expired sensitive message: the reply after it must stay
    assert plan(10, 13, whole_chat=False).with_unknown_sends() == plan(10, 13, whole_chat=False)


def test_the_sweep_is_bounded_to_one_more_provider_call_newest_first() -> None:
    swept = plan(1, 5000).with_unknown_sends()
    extra = [int(i) for i in swept.provider_ids[2:]]
    assert len(extra) == SWEEP_MAX and max(extra) == 5000 + SWEEP_AHEAD and 2 not in extra


def test_a_plan_says_whether_it_is_whole_chat_after_a_round_trip_through_storage() -> None:
    stored = plan(3, 4).to_json()
    assert DeletionPlan.from_json(stored).whole_chat is True
    del stored["whole_chat"]  # a plan queued before the field existed: the narrow reading
    assert DeletionPlan.from_json(stored).whole_chat is False
