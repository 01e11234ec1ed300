"""Settings are checked at start, with messages that say what to fix."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

from bot.settings import DEFAULT_DB_URL, DEFAULT_KEY_FILE, SettingsError, demo_settings, load_settings


def test_the_embedded_default_needs_no_tokens() -> None:
    s = load_settings(LIAISON_SIMULATOR=True)
    assert not s.telegram_enabled and not s.sms_enabled
    assert "telegram=off" in s.channel_summary() and "simulator=on" in s.channel_summary()


def test_a_telegram_token_without_a_webhook_secret_is_refused() -> None:
    with pytest.raises(SettingsError, match="TELEGRAM_WEBHOOK_SECRET is required"):
        load_settings(TELEGRAM_BOT_TOKEN="123:abc")


def test_half_configured_twilio_is_refused() -> None:
    with pytest.raises(SettingsError, match="must be set together"):
        load_settings(TWILIO_ACCOUNT_SID="ACxxxx")
    with pytest.raises(SettingsError, match="TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID"):
        load_settings(TWILIO_ACCOUNT_SID="ACxxxx", TWILIO_AUTH_TOKEN="t")


def test_production_refuses_development_defaults() -> None:
    with pytest.raises(SettingsError, match="PostgreSQL"):
        load_settings(LIAISON_ENV="production")
    with pytest.raises(SettingsError, match="LIAISON_KEY_FILE"):
        load_settings(LIAISON_ENV="production", DATABASE_URL="postgresql://db/x", LIAISON_PUBLIC_URL="https://x")


def test_bad_values_are_named() -> None:
    with pytest.raises(SettingsError, match="LIAISON_PORT"):
        load_settings(LIAISON_PORT=0)


PACKAGES = ("bot", "console", "flows", "nlu", "safety", "scheduler", "evaluation", "liaison", "content")
ROOT = Path(__file__).resolve().parents[1]


def environment_reads(tree: ast.AST) -> list[int]:
    """Lines that read the environment: os.environ, os.getenv, `environ` from os, click's envvar=."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "environb", "getenv", "getenvb"):
            lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module == "os" and any(
                alias.name in ("environ", "getenv") for alias in node.names):
            lines.append(node.lineno)
        elif isinstance(node, ast.keyword) and node.arg in ("envvar", "auto_envvar_prefix"):
            lines.append(node.value.lineno)
    return sorted(lines)


def test_settings_is_the_only_reader_of_the_environment() -> None:
    """A value read elsewhere misses `.env`, validation and the documented name (RASA_TIMEOUT was read by
    no one the service ran: nlu/service.py read it behind Settings' back, in a function nobody called)."""
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path == ROOT / "bot" / "settings.py":
                continue
            found += [f"{path.relative_to(ROOT)}:{line}"
                      for line in environment_reads(ast.parse(path.read_text(encoding="utf-8")))]
    assert found == []


def test_the_scan_sees_each_way_of_reading_the_environment() -> None:
    source = ("import os\nfrom os import getenv\nos.environ.get('A')\nos.getenv('B')\n"
              "click.option('--x', envvar='C')\n")
    assert environment_reads(ast.parse(source)) == [2, 3, 4, 5]


def test_rasa_timeout_is_a_setting_with_the_documented_default() -> None:
    assert load_settings().rasa_timeout == 2.0
    assert load_settings(RASA_TIMEOUT="0.5").rasa_timeout == 0.5
    with pytest.raises(SettingsError, match="RASA_TIMEOUT"):
        load_settings(RASA_TIMEOUT=0)


def test_the_demo_stays_on_its_own_data_when_a_dotenv_names_a_deployment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("DATABASE_URL=postgresql://db/real\nLIAISON_KEY_FILE=/secrets/keys.json\n",
                                   encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("LIAISON_KEY_FILE", raising=False)
    assert load_settings().database_url == "postgresql://db/real"  # the service reads .env
    demo = demo_settings()
    assert (demo.database_url, str(demo.key_file)) == (DEFAULT_DB_URL, DEFAULT_KEY_FILE)
    assert "DATABASE_URL" not in os.environ  # read, never written: child processes see what the shell set
    monkeypatch.setenv("DATABASE_URL", "sqlite:///elsewhere.db")  # what the shell says, the demo does
    assert demo_settings().database_url == "sqlite:///elsewhere.db"
