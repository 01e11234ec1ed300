"""The channel's one list of Bot API methods (lean_aiogram.USED_METHODS) is exactly what it calls.

A method missing from the list would be built on her first message instead of at start (a model
that cannot be built then fails her, not the start); a method listed and never called is built for
nothing. Read from the source, so a call on a path the other tests do not reach still counts."""

from __future__ import annotations

import ast
import gc
import re
from pathlib import Path

import aiogram.methods
from aiogram.methods.base import Response, TelegramMethod

from bot.channels.telegram.channel import TelegramChannel
from bot.channels.telegram.lean_aiogram import USED_METHODS
from bot.settings import load_settings

FOLDER = Path(__file__).resolve().parents[2] / "bot" / "channels" / "telegram"


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _is_bot(receiver: ast.expr) -> bool:
    """`bot`, `self.bot`, `channel.bot`: the aiogram Bot (its session's close() is no Bot API call)."""
    return (isinstance(receiver, ast.Name) and receiver.id == "bot") or (
        isinstance(receiver, ast.Attribute) and receiver.attr == "bot")


def methods_called_in(folder: Path) -> set[str]:
    """Bot API method classes reached from the folder: `bot.send_message(...)` (aiogram's shortcut for
    SendMessage) or a method class imported from aiogram.methods and called."""
    classes = {name for name in aiogram.methods.__all__
               if isinstance(getattr(aiogram.methods, name), type)
               and issubclass(getattr(aiogram.methods, name), TelegramMethod)}
    by_shortcut = {_snake(name): name for name in classes}
    called: set[str] = set()
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and _is_bot(node.func.value)
                    and node.func.attr in by_shortcut):
                called.add(by_shortcut[node.func.attr])
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in classes:
                called.add(node.func.id)
    return called


def test_every_bot_api_method_the_channel_calls_is_on_the_one_list() -> None:
    called = methods_called_in(FOLDER)
    assert "SendMessage" in called and "GetUpdates" in called  # the scan sees the calls at all
    assert called - set(USED_METHODS) == set(), "called but not built at start"
    assert set(USED_METHODS) - called == set(), "listed but never called"


def test_the_channel_holds_what_each_listed_method_answers_through_a_garbage_collection() -> None:
    channel = TelegramChannel(load_settings(TELEGRAM_BOT_TOKEN="123456:TEST-token-not-real", TELEGRAM_MODE="polling"))
    gc.collect()
    for name in USED_METHODS:
        answer = Response[getattr(aiogram.methods, name).__returning__]  # type: ignore[name-defined]
        assert any(answer is held for held in channel._answer_types), name
