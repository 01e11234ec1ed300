"""What a channel needs of the running service: a small protocol, so the channels do not depend on the
whole `bot.service.Service` (which builds them) and no import circle runs between the two."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from bot.channels.base import Channel, DeliveryReceipt, InboundEvent
    from bot.settings import Settings
    from bot.storage.db import Database
    from safety.crypto import KeyRing


@runtime_checkable
class Accepted(Protocol):
    """What the inbound pipeline says of one delivery (bot.inbound.Accepted)."""

    @property
    def duplicate(self) -> bool: ...

    @property
    def notice(self) -> str | None: ...

    @property
    def spent(self) -> bool: ...

    @property
    def keep_keyboard(self) -> bool: ...


class Inbound(Protocol):
    async def accept(self, event: InboundEvent) -> Accepted: ...


class Outbox(Protocol):
    async def dispatch_due(self, recipient_index: str | None = None, channel: str | None = None) -> int: ...

    async def record_receipt(self, receipt: DeliveryReceipt) -> str:
        """A provider's later word on a message, applied by the outbox (bot/outbox/results.py)."""

    def now(self) -> datetime: ...


class ServiceCore(Protocol):
    """What every part the service hands itself to sees: its settings, channels, database and key ring
    (the web pages' view of it, bot/web/host.py, adds theirs)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def channels(self) -> Mapping[str, Channel]: ...

    @property
    def db(self) -> Database: ...

    @property
    def keyring(self) -> KeyRing: ...


class ChannelHost(ServiceCore, Protocol):
    """The service as its channels see it: the core, where her messages go in, and the outbox."""

    @property
    def pipeline(self) -> Inbound: ...

    @property
    def dispatcher(self) -> Outbox: ...
