"""Rate limits as arithmetic: a bucket grants turns in order at the provider's rate, and one chat's
backlog never takes another chat's turn."""

from __future__ import annotations

import pytest

from bot.outbox.ratelimit import KeyedBuckets, TokenBucket


def _clock(start: float = 100.0) -> list[float]:
    return [start]


def test_a_full_bucket_grants_its_burst_at_once_then_one_turn_per_interval() -> None:
    t = _clock()
    bucket = TokenBucket(rate=30.0, burst=1, monotonic=lambda: t[0])
    waits = [bucket.reserve(t[0]) for _ in range(4)]
    assert waits == pytest.approx([0.0, 1 / 30, 2 / 30, 3 / 30])


def test_turns_come_back_as_time_passes_but_never_above_the_burst() -> None:
    t = _clock()
    bucket = TokenBucket(rate=2.0, burst=3, monotonic=lambda: t[0])
    assert [bucket.reserve(100.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.reserve(100.0) == pytest.approx(0.5)
    # an hour idle refills to the burst, not to 7200 tokens
    assert [bucket.reserve(3700.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.reserve(3700.0) == pytest.approx(0.5)


def test_a_thousand_turns_at_thirty_per_second_take_thirty_three_seconds() -> None:
    bucket = TokenBucket(rate=30.0, burst=1, monotonic=lambda: 0.0)
    last = max(bucket.reserve(0.0) for _ in range(1000))
    assert last == pytest.approx(999 / 30)


def test_a_chat_with_a_backlog_waits_alone_while_another_chat_goes_at_once() -> None:
    chats = KeyedBuckets(rate=1.0, burst=1, monotonic=lambda: 0.0)
    backlog = [chats.reserve("her-chat", 0.0) for _ in range(20)]
    assert backlog[-1] == pytest.approx(19.0)
    assert chats.reserve("another-chat", 0.0) == 0.0


def test_idle_chats_are_forgotten_so_memory_stays_bounded() -> None:
    chats = KeyedBuckets(rate=1.0, burst=1, idle_after=300.0, monotonic=lambda: 0.0)
    for n in range(10_001):
        chats.reserve(f"chat-{n}", 0.0)
    chats.reserve("late", 1000.0)
    assert len(chats._buckets) == 1


def test_a_rate_of_zero_is_refused() -> None:
    with pytest.raises(ValueError):
        TokenBucket(rate=0)


def test_a_clock_that_steps_back_gives_no_extra_turns() -> None:
    bucket = TokenBucket(rate=1.0, burst=1, monotonic=lambda: 100.0)
    assert bucket.reserve(100.0) == 0.0
    assert bucket.reserve(50.0) == pytest.approx(1.0)  # still in debt from the turn at 100
    assert bucket.reserve(101.0) == pytest.approx(1.0)


def test_a_new_chat_starts_with_a_full_bucket_even_long_after_the_limiter_was_made() -> None:
    chats = KeyedBuckets(rate=0.5, burst=2, monotonic=lambda: 0.0)
    assert [chats.reserve("late", 5000.0) for _ in range(3)] == [0.0, 0.0, pytest.approx(2.0)]
