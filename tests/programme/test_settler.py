"""The matching after the answer waits for a pause in the service's requests: run while another
request is answered, matching a linked case (more work than finding none) would slow that answer,
and its sender would learn that the last case was linked. A busy service still matches."""

from __future__ import annotations

import asyncio

from bot.programme.settler import Traffic


async def turns() -> None:
    """Let every other task run (a few turns of the loop, not a time)."""
    for _ in range(5):
        await asyncio.sleep(0)


async def test_the_matching_starts_only_once_no_request_is_being_answered() -> None:
    traffic, seen = Traffic(), []
    with traffic.answering():
        with traffic.answering():  # two at once: the first to end is not yet a pause
            pause = asyncio.create_task(traffic.pause(quiet=0, at_most=60))
            pause.add_done_callback(lambda _t: seen.append("matching may start"))
            await turns()
            seen.append("one answered")
        await turns()
        seen.append("both answered")
    await pause
    assert seen == ["one answered", "both answered", "matching may start"]


async def test_a_service_never_quiet_still_matches_after_at_most() -> None:
    traffic = Traffic()
    with traffic.answering():
        await asyncio.wait_for(traffic.pause(quiet=0, at_most=0.05), timeout=30)
        assert traffic.in_flight == 1
