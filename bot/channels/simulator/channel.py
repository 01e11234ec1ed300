"""An in-process 'phone' per simulated user that holds what her screen would show.

It behaves like a messaging provider: sends get message ids, edits replace text, deletions
remove messages (hers and ours), so every safety feature can be seen working without tokens.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.channels.base import Button, ChannelStatus, OutgoingMessage, RateLimits, SendError, SendResult


@dataclass
class PhoneMessage:
    id: int
    sender: str  # "bot" or "user"
    text: str
    buttons: list[list[str]] = field(default_factory=list)
    at: str = ""
    edited: bool = False

    def as_json(self) -> dict[str, object]:
        return {"id": self.id, "from": self.sender, "text": self.text, "buttons": self.buttons,
                "at": self.at, "edited": self.edited}


class SimulatorChannel:
    name = "simulator"
    limits = RateLimits(per_second=1000.0, burst=1000)
    max_delete_batch = 100
    sequential_ids = False

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._closers: list[Callable[[], Awaitable[None]]] = []
        self.phones: dict[str, list[PhoneMessage]] = {}
        self.deleted: dict[str, int] = {}
        self.sent_keys: set[str] = set()

    def _phone(self, user: str) -> list[PhoneMessage]:
        return self.phones.setdefault(user, [])

    def record_user_message(self, user: str, text: str) -> int:
        msg = PhoneMessage(next(self._ids), "user", text, at=_now())
        self._phone(user).append(msg)
        return msg.id

    def forget(self, user: str, message_id: int) -> None:
        self._phone(user)[:] = [m for m in self._phone(user) if m.id != message_id]

    def remove_buttons(self, user: str, payload: str, message_id: object = None) -> None:
        """Take the keyboard off the message she pressed (by id if given, else the latest with
        that button), as Telegram's editMessageReplyMarkup does."""
        for msg in reversed(self._phone(user)):
            if (message_id is not None and str(msg.id) == str(message_id)) or (
                    message_id is None and any(b[0] == payload for b in msg.buttons)):
                msg.buttons, msg.edited = [], True
                return

    def transcript(self, user: str) -> list[dict[str, object]]:
        return [m.as_json() for m in self._phone(user)]

    async def send(self, message: OutgoingMessage) -> SendResult:
        if message.idempotency_key in self.sent_keys:
            raise SendError("duplicate idempotency key", in_doubt=True)
        self.sent_keys.add(message.idempotency_key)
        msg = PhoneMessage(next(self._ids), "bot", message.text,
                           [[b.payload, b.label] for b in message.buttons], at=_now())
        self._phone(message.address).append(msg)
        return SendResult(str(msg.id))

    async def edit(self, address: str, provider_message_id: str, text: str,
                   buttons: tuple[Button, ...] = ()) -> None:
        for msg in self._phone(address):
            if str(msg.id) == provider_message_id:
                msg.text, msg.buttons, msg.edited = text, [[b.payload, b.label] for b in buttons], True
                return
        raise SendError("message to edit not found")

    async def delete(self, address: str, provider_message_ids: list[str]) -> None:
        wanted = set(provider_message_ids)
        phone = self._phone(address)
        kept = [m for m in phone if str(m.id) not in wanted]
        self.deleted[address] = self.deleted.get(address, 0) + len(phone) - len(kept)
        phone[:] = kept

    async def status(self) -> ChannelStatus:
        return ChannelStatus(self.name, True, "in-process", {"phones": len(self.phones)})

    def on_close(self, closer: Callable[[], Awaitable[None]]) -> None:
        """Something of the simulator's to stop with it (the phone call panel's calls)."""
        self._closers.append(closer)

    async def close(self) -> None:
        for closer in self._closers:
            await closer()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
