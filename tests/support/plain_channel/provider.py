"""The plain channel's fake provider: one thread per address, as her phone shows it. Like SMS,
nothing leaves her thread once it arrived; the provider's own records can be deleted."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field


@dataclass
class Entry:
    id: int
    sender: str  # "bot" or "user"
    text: str


@dataclass
class PlainProvider:
    threads: dict[str, list[Entry]] = field(default_factory=dict)
    records_deleted: int = 0
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def thread(self, address: str) -> list[Entry]:
        return self.threads.setdefault(address, [])

    def deliver(self, address: str, sender: str, text: str) -> int:
        entry = Entry(next(self._ids), sender, text)
        self.thread(address).append(entry)
        return entry.id
