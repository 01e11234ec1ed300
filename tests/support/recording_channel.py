"""A provider stand-in for dispatcher tests: records what it was given, fails when told to."""

from __future__ import annotations

import itertools
from collections import deque

from bot.channels.base import Button, ChannelStatus, OutgoingMessage, RateLimits, SendError, SendResult


class RecordingChannel:
    name = "simulator"
    limits = RateLimits(per_second=1000.0, burst=1000)
    max_delete_batch = 100
    sequential_ids = False

    def __init__(self) -> None:
        self.sent: list[OutgoingMessage] = []
        self.failures: deque[SendError] = deque()
        self._ids = itertools.count(100)

    async def send(self, message: OutgoingMessage) -> SendResult:
        if self.failures:
            raise self.failures.popleft()
        self.sent.append(message)
        return SendResult(str(next(self._ids)))

    async def edit(self, address: str, provider_message_id: str, text: str,
                   buttons: tuple[Button, ...] = ()) -> None:
        return None

    async def delete(self, address: str, provider_message_ids: list[str]) -> None:
        return None

    async def status(self) -> ChannelStatus:
        return ChannelStatus(self.name, True)

    async def close(self) -> None:
        return None
