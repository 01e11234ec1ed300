"""The audit chain's head, anchored outside the database.

The MACs (bot.storage.audit) stop anyone without the key file from editing or rewriting rows; they cannot
show that the newest rows were cut off, because what is left is still a perfect chain. So the head
(sequence number and MAC of the last row) is written, every few minutes and at shutdown, to the log
stream and to an append-only witness file (`LIAISON_AUDIT_WITNESS_FILE`: on another host or on
write-once storage, never beside the database), one JSON line per head. `liaison audit verify` checks
every head the witness holds: a head the database no longer reaches means its tail was cut.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from contextlib import suppress
from datetime import datetime
from pathlib import Path

from bot.logs import log_event
from bot.storage.audit import GENESIS, Witnessed, chain_head
from bot.storage.db import Database


class WitnessError(Exception):
    """The witness file cannot be read as a witness (the message names the line)."""


def read_witness(path: Path | None) -> list[Witnessed]:
    """Every head in the witness file (none when no file is set or none was written yet)."""
    if path is None or not path.exists():
        return []
    heads = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            heads.append(Witnessed(int(entry["seq"]), str(entry["mac"]).replace(":", ""), str(entry.get("at", ""))))
        except (ValueError, KeyError, TypeError):
            raise WitnessError(f"{path}: line {number} is not a chain head") from None
    return heads


def append_head(path: Path, seq: int, mac: str, at: datetime, why: str) -> None:
    """One line, appended (O_APPEND: several processes may write it; each line is one write)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps({"seq": seq, "mac": mac, "at": at.isoformat(timespec="seconds"), "why": why}) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def _grouped(mac: str) -> str:
    """The MAC in groups of four, so the log's number masking (bot.logs) never eats a run of digits."""
    return ":".join(mac[i:i + 4] for i in range(0, len(mac), 4))


class AuditAnchor:
    """Writes the chain head when it has moved: every `every` seconds while the service runs, and once
    more at shutdown (whether or not it moved: the last word of this process)."""

    def __init__(self, db: Database, path: Path | None, every: float) -> None:
        self.db, self.path, self.every = db, path, every
        self._last: tuple[int, str] | None = None
        self._stop = asyncio.Event()

    async def anchor(self, why: str, *, always: bool = False) -> tuple[int, str]:
        async with self.db.reads() as s:
            head = await chain_head(s)
        if head[1] == GENESIS or (head == self._last and not always):
            return head
        log_event("audit.head", seq=head[0], mac=_grouped(head[1]), why=why)
        if self.path is not None:
            try:
                await asyncio.to_thread(append_head, self.path, head[0], head[1], self.db.clock(), why)
            except OSError as exc:
                log_event("audit.witness_unwritable", logging.ERROR, error=type(exc).__name__)
                return head
        self._last = head
        return head

    async def run_forever(self) -> None:
        while not self._stop.is_set():
            try:
                await self.anchor("periodic")
            except Exception:
                log_event("audit.anchor_failed", logging.WARNING, exc_info=True)
            with suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.every)

    async def stop(self) -> None:
        self._stop.set()
        try:
            await self.anchor("shutdown", always=True)
        except Exception:
            log_event("audit.anchor_failed", logging.WARNING, exc_info=True)
