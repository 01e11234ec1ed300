"""Rate limits as arithmetic: a bucket grants turns in order at the provider's rate, and one chat's
backlog never takes another chat's turn."""

from __future__ import annotations

import asyncio

import pytest

from bot.outbox.ratelimit import KeyedBuckets, Pacer, TokenBucket


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
    with pytest.raises(ValueError):
        Pacer(rate=0)


def test_a_clock_that_steps_back_gives_no_extra_turns() -> None:
    bucket = TokenBucket(rate=1.0, burst=1, monotonic=lambda: 100.0)
    assert bucket.reserve(100.0) == 0.0
    assert bucket.reserve(50.0) == pytest.approx(1.0)  # still in debt from the turn at 100
    assert bucket.reserve(101.0) == pytest.approx(1.0)


def test_a_new_chat_starts_with_a_full_bucket_even_long_after_the_limiter_was_made() -> None:
    chats = KeyedBuckets(rate=0.5, burst=2, monotonic=lambda: 0.0)
    assert [chats.reserve("late", 5000.0) for _ in range(3)] == [0.0, 0.0, pytest.approx(2.0)]


def test_the_pacer_gives_a_thousand_turns_at_29_per_second_evenly() -> None:
    pacer = Pacer(rate=29.0, monotonic=lambda: 0.0)
    waits = [pacer.reserve(0.0) for _ in range(1000)]
    assert waits[:3] == pytest.approx([0.0, 1 / 29, 2 / 29])
    assert waits[-1] == pytest.approx(999 / 29)


def test_turns_lost_to_a_stall_are_made_up_without_exceeding_the_providers_count() -> None:
    pacer = Pacer(rate=29.0)
    turns: list[float] = []
    now = 0.0
    for k in range(300):
        if k == 100:
            now += 0.3  # the loop stalled: ten turns are late
        at = now + pacer.reserve(now)
        turns.append(at)
        now = at
    assert turns[-1] == pytest.approx(299 / 29, abs=0.01)  # back on schedule: nothing lost
    gaps = [b - a for a, b in zip(turns, turns[1:], strict=False)]
    assert min(gaps) >= (2 / 3) / 29 - 1e-9  # caught up at most at one and a half times the rate
    assert max(sum(1 for t in turns if start <= t < start + 1.0) for start in turns) <= 29


def test_an_idle_channel_does_not_save_up_turns() -> None:
    pacer = Pacer(rate=29.0)
    pacer.reserve(0.0)
    waits = [pacer.reserve(60.0) for _ in range(3)]
    assert waits == pytest.approx([0.0, 1 / 29, 2 / 29])


def test_a_channel_that_allows_bursts_gives_them_at_once() -> None:
    pacer = Pacer(rate=1000.0, burst=1000)
    assert [pacer.reserve(5.0) for _ in range(8)] == [0.0] * 8


def test_a_slow_rate_paces_one_turn_per_interval() -> None:
    pacer = Pacer(rate=0.5)
    assert [pacer.reserve(0.0) for _ in range(3)] == pytest.approx([0.0, 2.0, 4.0])


async def test_a_turn_used_late_is_counted_from_when_it_was_used_so_the_next_keeps_its_distance() -> None:
    now = [0.0]
    pacer = Pacer(rate=29.0, monotonic=lambda: now[0])
    async with pacer.turn():
        now[0] = 0.5  # its row's claim waited for the database: the request is written only now
    assert pacer.reserve(0.5) == pytest.approx((2 / 3) / 29)  # not at once, bunched with it


async def test_a_channel_that_allows_bursts_lets_the_next_turn_go_while_one_is_still_in_use() -> None:
    pacer = Pacer(rate=1000.0, burst=1000)
    async with pacer.turn():
        async with asyncio.timeout(60):  # a hang guard, not a speed claim
            async with pacer.turn():
                pass  # not queued behind the first one's claim


async def test_the_next_turn_goes_to_the_best_lane_waiting_then_in_arrival_order() -> None:
    from bot.outbox.lanes import NOTICE, REPLY, URGENT, WAVE
    from bot.outbox.ratelimit import PriorityLock

    lock = PriorityLock()
    order: list[str] = []

    async def wants(name: str, lane: int) -> None:
        async with lock(lane):
            order.append(name)

    async with lock(WAVE):  # a wave holds the turn while the others queue up behind it
        tasks = [asyncio.create_task(wants(n, lane)) for n, lane in
                 (("wave", WAVE), ("notice", NOTICE), ("reply 1", REPLY), ("danger", URGENT), ("reply 2", REPLY))]
        await asyncio.sleep(0)
    await asyncio.gather(*tasks)
    assert order == ["danger", "reply 1", "reply 2", "notice", "wave"]


async def test_a_waiter_cancelled_in_the_queue_does_not_keep_the_turn_from_the_others() -> None:
    from bot.outbox.ratelimit import PriorityLock

    lock = PriorityLock()
    await lock.acquire(3)
    gone = asyncio.create_task(lock.acquire(0))
    stays = asyncio.create_task(lock.acquire(1))
    await asyncio.sleep(0)
    gone.cancel()
    await asyncio.gather(gone, return_exceptions=True)
    lock.release()
    async with asyncio.timeout(60):  # a hang guard, not a speed claim
        await stays


def test_danger_replies_staff_alerts_and_deletions_go_first_then_replies_then_notices_then_waves() -> None:
    from bot.outbox.lanes import NOTICE, REPLY, URGENT, WAVE, lane_of

    assert lane_of("send", True, True, "danger.emergency_numbers") == URGENT
    assert lane_of("staff_alert", True, False, "staff.alert") == URGENT
    assert lane_of("delete", False, True, "delete") == URGENT
    assert lane_of("send", False, True, "menu.main") == REPLY
    assert lane_of("send", False, False, "notice.preview") == NOTICE
    assert lane_of("send", False, False, "checkin.opening") == WAVE
