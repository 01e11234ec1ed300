"""What the service's own web pages (the console, the programme API, /healthz) need of the running
service: a small protocol, so they do not depend on the whole `bot.service.Service` that installs
them and no import circle runs between the two (the channels have theirs: bot/channels/host.py)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from bot.channels.host import ServiceCore

if TYPE_CHECKING:
    from bot.voice.client import VoiceClient
    from safety.pin import PinHasher


class Wakeable(Protocol):
    def wake(self) -> None:
        """Something was queued in the outbox: look now, not at the next pass."""


class WebHost(ServiceCore, Protocol):
    """The core (bot/channels/host.py), the outbox's wake-up, the problems /healthz reports, the
    hasher of staff passwords, the clock and the replanning of her waves."""

    @property
    def dispatcher(self) -> Wakeable: ...

    @property
    def problems(self) -> list[str]: ...

    @property
    def pin_hasher(self) -> PinHasher: ...

    @property
    def voice(self) -> VoiceClient | None:
        """Calls through Twilio Voice, when configured."""

    def clock(self) -> datetime:
        """The service's "now"."""

    async def replan(self, survivor_ids: Iterable[int]) -> None:
        """Her check-in waves follow her moved programme milestones."""

    def settle_later(self, event_id: int, actor: str) -> None:
        """Match a stored programme event to her case after its sender has the answer."""
