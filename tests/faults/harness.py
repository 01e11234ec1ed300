"""Real `liaison serve` processes against the fake Telegram in the test's own process: started,
killed with SIGKILL, restarted; and the counts that say whether delivery held (what the provider
received against what the outbox says). Loopback only."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import select

from bot.outbox.enqueue import enqueue
from bot.storage.db import Database
from bot.storage.models import OutboundMessage
from safety.crypto import KeyRing
from tests.support.fake_telegram import FakeTelegram
from tests.support.running import wait_until as wait_for  # noqa: F401 - the fault tests' name for it

TOKEN = "123456:TEST-token-not-real"
SECRET = "fault_tests-secret-0123456789"
REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_env(database_url: str, keyring: KeyRing, fake: FakeTelegram, nlu_cache: Path,
              **extra: object) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TWILIO_", "OUTBOX_", "LIAISON_"))}
    env.update({
        "PYTHONPATH": str(REPO), "LIAISON_ENV": "test", "DATABASE_URL": database_url,
        "LIAISON_KEY_FILE": str(keyring.path), "LIAISON_SIMULATOR": "false", "LIAISON_HOST": "127.0.0.1",
        "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": SECRET, "TELEGRAM_API_BASE": fake.url,
        # the claim lease as in production (60 s): a dead process's claims are released at restart
        "OUTBOX_POLL_SECONDS": "0.1", "SEND_TIMEOUT_SECONDS": "5",
        "NLU_CACHE_DIR": str(nlu_cache), "LIAISON_LOG_LEVEL": "WARNING",
    })
    env.update({k: str(v) for k, v in extra.items()})
    return env


@dataclass
class Serve:
    """One `liaison serve` process."""

    proc: asyncio.subprocess.Process
    url: str

    @classmethod
    async def start(cls, env: dict[str, str], cwd: Path, *, within: float = 240.0) -> Serve:
        """Started once /healthz says so. `within` only bounds a start that will never come: on a
        loaded machine (CI beside `stress-ng --cpu 2`, three processes loading their models at
        once) a healthy start took more than a minute."""
        port = free_port()
        env = {**env, "LIAISON_PORT": str(port), "LIAISON_PUBLIC_URL": f"http://127.0.0.1:{port}"}
        log = (cwd / f"serve-{port}.log").open("wb")  # noqa: ASYNC230 - once per process start
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "liaison.cli", "serve", cwd=cwd, env=env,
                                                    stdout=log, stderr=log)
        serve = cls(proc, f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + within
        last = ""
        async with aiohttp.ClientSession() as http:
            while True:
                if proc.returncode is not None:
                    raise AssertionError(f"serve exited with {proc.returncode}: {(cwd / log.name).read_text()[-800:]}")
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(serve.url + "/healthz") as r:
                        if r.status == 200:
                            return serve
                        last = await r.text()
                if time.monotonic() > deadline:
                    serve.kill()
                    tail = (cwd / f"serve-{port}.log").read_text()[-600:]
                    raise AssertionError(f"serve did not become healthy in time: {last[:400]} {tail}")
                await asyncio.sleep(0.1)

    def kill(self) -> None:
        """kill -9: no clean-up, no goodbye, exactly what a crash or an OOM kill does."""
        if self.proc.returncode is None:
            os.kill(self.proc.pid, signal.SIGKILL)

    async def killed(self) -> None:
        self.kill()
        await self.proc.wait()

    async def stop(self) -> None:
        if self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except TimeoutError:
                await self.killed()


async def queue_notices(db: Database, keyring: KeyRing, chats: list[int], per_chat: int = 1,
                        tag: str = "n") -> int:
    """Messages to strangers' chats (no survivor: no window holds them), each text unique."""
    async with db.transaction() as s:
        for chat in chats:
            for i in range(per_chat):
                enqueue(s, channel="telegram", address=str(chat),
                        address_index=keyring.blind_index("telegram", str(chat)), cause=f"{tag}:{chat}",
                        index=i, text_key="fault.notice", body=f"{tag} {chat} #{i}", is_reply=True)
    return len(chats) * per_chat


async def rows(db: Database) -> list[OutboundMessage]:
    async with db.sessions() as s:
        return list((await s.scalars(select(OutboundMessage).order_by(OutboundMessage.id))).all())


async def until_rows(db: Database, check: Any, within: float = 120.0) -> list[OutboundMessage]:
    """The outbox once `check(rows)` holds: waiting on what the service did, not on a time (the
    limit is only there so a test that will never see it ends)."""
    deadline = time.monotonic() + within
    while True:
        current = await rows(db)
        if check(current):
            return current
        if time.monotonic() > deadline:
            raise AssertionError(f"outbox never got there: {Counter(r.status for r in current)}")
        await asyncio.sleep(0.05)


async def settled(db: Database, within: float = 120.0) -> list[OutboundMessage]:
    deadline = time.monotonic() + within
    while True:
        current = await rows(db)
        if all(r.status in ("sent", "in_doubt", "failed", "cancelled") for r in current):
            return current
        if time.monotonic() > deadline:
            raise AssertionError(f"not settled: {Counter(r.status for r in current)}")
        await asyncio.sleep(0.2)


@dataclass
class Tally:
    duplicates: int
    lost: int
    in_doubt: int
    false_in_doubt: int
    sent: int

    def __str__(self) -> str:
        return (f"sent={self.sent} duplicates={self.duplicates} lost={self.lost} in_doubt={self.in_doubt} "
                f"false_in_doubt={self.false_in_doubt}")


def tally(fake: FakeTelegram, outbox: list[OutboundMessage]) -> Tally:
    """Compare what her phone shows with what the outbox says.
    duplicates: a text shown twice; lost: a row neither shown nor in doubt (or shown but failed);
    false in_doubt: a row in doubt whose request never reached the provider."""
    shown: Counter[tuple[int, str]] = Counter()
    for chat_id, chat in fake.chats.items():
        for m in chat.messages:
            if m.sender == "bot":
                shown[(chat_id, m.text)] += 1
    requested = {(c.params.get("chat_id"), c.params.get("text")) for c in fake.calls("sendMessage")}
    sends = [r for r in outbox if r.kind == "send"]
    dup = sum(n - 1 for n in shown.values() if n > 1)
    lost = 0
    false_doubt = 0
    for r in sends:
        key = (int(r.address) if r.address else 0, r.body)
        if r.status == "in_doubt":
            false_doubt += key not in requested
        elif key not in shown and r.status != "cancelled":
            lost += 1
    return Tally(dup, lost, sum(r.status == "in_doubt" for r in sends), false_doubt,
                 sum(r.status == "sent" for r in sends))


def make_chats(fake: FakeTelegram, first: int, n: int) -> list[int]:
    chats = list(range(first, first + n))
    for c in chats:
        fake.chat(c)
    return chats


