"""Urgent work first (bot.outbox.urgent_first): while a danger text or its answers' claims are in
progress, an ordinary delivery waits to start; never for longer than its cap."""

from __future__ import annotations

import asyncio

from bot.outbox.urgent_first import UrgentFirst


async def test_ordinary_work_starts_at_once_when_nothing_urgent_is_in_progress() -> None:
    gate = UrgentFirst()
    await gate.ordinary_turn()
    assert gate.waiting == 0


async def test_ordinary_work_waits_until_the_last_urgent_hold_is_let_go() -> None:
    gate = UrgentFirst(max_wait=60)
    first, second = gate.hold(), gate.hold()
    ordinary = asyncio.create_task(gate.ordinary_turn())
    await asyncio.sleep(0)  # one lap: the task runs to its first wait
    assert gate.waiting == 1
    first.release()
    first.release()  # twice is once
    for _ in range(5):
        await asyncio.sleep(0)
    assert not ordinary.done() and gate.waiting == 1
    second.release()
    await ordinary
    assert gate.waiting == 0


async def test_a_hold_used_as_a_context_is_let_go_when_the_urgent_work_fails() -> None:
    gate = UrgentFirst(max_wait=60)
    try:
        with gate.hold():
            raise RuntimeError("her text's handling failed")
    except RuntimeError:
        pass
    await gate.ordinary_turn()


async def test_a_flood_of_urgent_work_holds_ordinary_work_back_no_longer_than_the_cap() -> None:
    gate = UrgentFirst(max_wait=0.05)
    gate.hold()  # never let go: strangers writing danger words without end
    await gate.ordinary_turn()  # returns, after the cap
    assert gate.waiting == 0
