"""Settings are checked at start, with messages that say what to fix."""

from __future__ import annotations

import pytest

from bot.settings import SettingsError, load_settings


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
