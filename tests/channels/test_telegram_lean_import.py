"""The Telegram channel imports aiogram without building all its pydantic models (resident memory,
issue 16), and every model it left unbuilt still builds, with its references resolved, on first use.

Run in a fresh interpreter: in the test process aiogram may be imported already (then it is built
in full, as aiogram builds it, and the channel works the same)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]

PROBE = """
import json
from bot.channels.telegram.channel import TelegramChannel
from bot.channels.telegram.lean_aiogram import USED_METHODS, USED_TYPES
from bot.settings import load_settings
import aiogram.methods, aiogram.types

TelegramChannel(load_settings(TELEGRAM_BOT_TOKEN="123456:TEST-token-not-real", TELEGRAM_MODE="polling"))
models = {n: getattr(m, n) for m in (aiogram.types, aiogram.methods) for n in m.__all__}
models = {n: m for n, m in models.items() if hasattr(m, "__pydantic_complete__")}
built_at_start = sorted(n for n, m in models.items() if m.__pydantic_complete__)
unbuildable = []
for name, model in models.items():  # what a first use does: build from the module's own names
    try:
        model.model_rebuild(_parent_namespace_depth=0)
    except Exception as exc:
        unbuildable.append(f"{name}: {type(exc).__name__}")
update = aiogram.types.Update.model_validate({"update_id": 1, "message": {
    "message_id": 5, "date": 1700000000, "chat": {"id": 7, "type": "private"}, "text": "hi"}})
print(json.dumps({"models": len(models), "built_at_start": built_at_start, "unbuildable": unbuildable,
                  "used": [*USED_TYPES, *USED_METHODS], "text": update.message.text}))
"""


@pytest.fixture(scope="module")
def fresh_import() -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=REPO, capture_output=True, text=True, timeout=240,
                         check=True)
    return dict(json.loads(out.stdout))


def test_starting_the_telegram_channel_builds_only_the_models_it_uses(fresh_import: dict[str, Any]) -> None:
    built = set(fresh_import["built_at_start"])
    assert set(fresh_import["used"]) <= built
    assert "Message" not in built  # validated inside Update, never built on its own
    assert len(built) < fresh_import["models"] / 10


def test_every_aiogram_model_left_unbuilt_still_builds_on_first_use(fresh_import: dict[str, Any]) -> None:
    assert fresh_import["models"] > 500
    assert fresh_import["unbuildable"] == []
    assert fresh_import["text"] == "hi"
