"""Service settings, read from the environment (and an optional `.env`) and validated at start.

The only reader of the environment in the packages (tests/test_settings.py keeps it so): every other
module is handed what it needs from here.

A channel whose settings are absent is off; a half-configured channel is an error, because a
silently disabled channel means a survivor's messages go nowhere.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DB_URL = "sqlite:///var/liaison.db"
DEFAULT_KEY_FILE = "var/dev-keys.json"


class SettingsError(Exception):
    """Settings that cannot be used; the message says which and why, never a secret."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    environment: Literal["development", "production", "test"] = Field(
        "development", alias="LIAISON_ENV"
    )
    database_url: str = Field(DEFAULT_DB_URL, alias="DATABASE_URL")
    key_file: Path = Field(Path(DEFAULT_KEY_FILE), alias="LIAISON_KEY_FILE")
    public_url: str = Field("http://127.0.0.1:8080", alias="LIAISON_PUBLIC_URL")
    host: str = Field("127.0.0.1", alias="LIAISON_HOST")
    port: int = Field(8080, alias="LIAISON_PORT", ge=1, le=65535)
    simulator_enabled: bool = Field(False, alias="LIAISON_SIMULATOR")
    log_level: str = Field("INFO", alias="LIAISON_LOG_LEVEL")

    telegram_bot_token: str | None = Field(None, alias="TELEGRAM_BOT_TOKEN")
    telegram_webhook_secret: str | None = Field(None, alias="TELEGRAM_WEBHOOK_SECRET")
    telegram_api_base: str = Field("https://api.telegram.org", alias="TELEGRAM_API_BASE")
    telegram_mode: Literal["webhook", "polling"] = Field("webhook", alias="TELEGRAM_MODE")
    telegram_bot_username: str | None = Field(None, alias="TELEGRAM_BOT_USERNAME")
    # a margin under Telegram's 30/s: the commit before each send adds jitter, and without a margin
    # a second now and then holds 31 sends, which Telegram answers with 429 (bench/dispatch_bench.py)
    telegram_global_rate: float = Field(29.0, alias="TELEGRAM_RATE_PER_SECOND", gt=0)
    telegram_chat_rate: float = Field(1.0, alias="TELEGRAM_CHAT_RATE_PER_SECOND", gt=0)

    twilio_account_sid: str | None = Field(None, alias="TWILIO_ACCOUNT_SID")
    twilio_auth_token: str | None = Field(None, alias="TWILIO_AUTH_TOKEN")
    twilio_from: str | None = Field(None, alias="TWILIO_FROM")
    twilio_messaging_service_sid: str | None = Field(None, alias="TWILIO_MESSAGING_SERVICE_SID")
    twilio_api_base: str = Field("https://api.twilio.com", alias="TWILIO_API_BASE")
    # the number "Call her now" rings from (issue 29); TWILIO_FROM when unset
    twilio_voice_from: str | None = Field(None, alias="TWILIO_VOICE_FROM")
    sms_rate: float = Field(1.0, alias="SMS_RATE_PER_SECOND", gt=0)

    # retry by time: seconds per kind (reply, notice, urgent, deletion, checkin), see bot.outbox.budgets
    outbox_retry_budgets: dict[str, float] = Field(default_factory=dict, alias="OUTBOX_RETRY_BUDGETS")
    outbox_base_backoff: float = Field(1.0, alias="OUTBOX_BASE_BACKOFF_SECONDS", gt=0)
    outbox_max_backoff: float = Field(300.0, alias="OUTBOX_MAX_BACKOFF_SECONDS", gt=0)
    # how long a claim may stay `sending` before it is taken to be a dead process's (-> in_doubt)
    outbox_claim_lease: float = Field(60.0, alias="OUTBOX_CLAIM_LEASE_SECONDS", gt=0)
    outbox_poll_interval: float = Field(0.5, alias="OUTBOX_POLL_SECONDS", gt=0)
    send_timeout: float = Field(10.0, alias="SEND_TIMEOUT_SECONDS", gt=0)

    retention_message_days: int = Field(30, alias="LIAISON_RETENTION_MESSAGE_DAYS", ge=1)
    retention_case_days: int = Field(365, alias="LIAISON_RETENTION_CASE_DAYS", ge=1)

    route_check_days: int = Field(28, alias="LIAISON_ROUTE_CHECK_DAYS", ge=1)

    sla_urgent_minutes: float = Field(5, alias="LIAISON_SLA_URGENT_MINUTES", gt=0)
    sla_high_hours: float = Field(4, alias="LIAISON_SLA_HIGH_HOURS", gt=0)
    sla_routine_working_days: int = Field(2, alias="LIAISON_SLA_ROUTINE_WORKING_DAYS", ge=1)
    console_totp_required: bool | None = Field(None, alias="LIAISON_CONSOLE_TOTP_REQUIRED")
    # the console's language for staff who have not chosen one on their own page (en, de)
    console_locale: Literal["en", "de"] = Field("en", alias="LIAISON_CONSOLE_LOCALE")

    # POST /api/programme-events: per token, a steady rate with a burst; the largest body accepted
    programme_api_rate_per_minute: float = Field(60.0, alias="PROGRAMME_API_RATE_PER_MINUTE", gt=0)
    programme_api_burst: int = Field(20, alias="PROGRAMME_API_BURST", ge=1)
    programme_api_max_body: int = Field(16 * 1024, alias="PROGRAMME_API_MAX_BODY_BYTES", ge=256, le=256 * 1024)
    # every answer to the programme's side (its API, its console pages) leaves this long after the request
    # arrived, so its timing never says whether a case is linked to her (bot/programme/answer_floor.py)
    programme_answer_floor: float = Field(0.3, alias="PROGRAMME_ANSWER_FLOOR_SECONDS", ge=0, le=10)
    # risk notices (bot/notices): routine notices of these programme sites need one approval and no
    # worker's click (comma-separated site codes; none by default); an urgent notice she has not
    # acknowledged within this many hours of its sending is escalated to a worker
    notice_auto_approve_sites: Annotated[list[str], NoDecode] = Field(
        default_factory=list, alias="LIAISON_NOTICE_AUTO_APPROVE_SITES")
    notice_ack_hours: float = Field(48, alias="LIAISON_NOTICE_ACK_HOURS", gt=0)
    # a worker's live conversation with her (issue 28) ends, and she is told, after this many idle minutes
    live_chat_idle_minutes: float = Field(30, alias="LIAISON_LIVE_CHAT_IDLE_MINUTES", gt=0)

    # reverse proxies of ours whose X-Forwarded-For names the real client (sign-in slow-down per address)
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list, alias="LIAISON_TRUSTED_PROXIES")
    # the audit chain's head, anchored outside the database (bot.audit_anchor): an append-only file on
    # another host or write-once storage, written every this many minutes and at shutdown
    audit_witness_file: Path | None = Field(None, alias="LIAISON_AUDIT_WITNESS_FILE")
    audit_anchor_minutes: float = Field(5.0, alias="LIAISON_AUDIT_ANCHOR_MINUTES", gt=0)

    rasa_url: str | None = Field(None, alias="RASA_URL")
    rasa_timeout: float = Field(2.0, alias="RASA_TIMEOUT", gt=0)  # seconds per parse; then the embedded model
    nlu_cache_dir: Path = Field(Path("var/nlu-cache"), alias="NLU_CACHE_DIR")

    @field_validator("notice_auto_approve_sites", "trusted_proxies", mode="before")
    @classmethod
    def _site_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.telegram_bot_token and self.telegram_mode == "webhook" and not self.telegram_webhook_secret:
            raise ValueError("TELEGRAM_WEBHOOK_SECRET is required when TELEGRAM_BOT_TOKEN is set in webhook mode")
        if self.telegram_webhook_secret and not self.telegram_bot_token:
            raise ValueError("TELEGRAM_WEBHOOK_SECRET is set but TELEGRAM_BOT_TOKEN is not")
        twilio = [self.twilio_account_sid, self.twilio_auth_token]
        if any(twilio) and not all(twilio):
            raise ValueError("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN must be set together")
        if all(twilio) and not (self.twilio_from or self.twilio_messaging_service_sid):
            raise ValueError("set TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID to send SMS")
        if self.rasa_url:
            from nlu.rasa_client import server_urls

            server_urls(self.rasa_url)  # the per-locale form must be well formed (ValueError says how)
        if self.environment == "production":
            if self.database_url.startswith("sqlite"):
                raise ValueError("production needs DATABASE_URL pointing at PostgreSQL, not SQLite")
            if str(self.key_file) == DEFAULT_KEY_FILE:
                raise ValueError("production needs LIAISON_KEY_FILE outside the development default")
            if not self.public_url.startswith("https://"):
                raise ValueError("production needs LIAISON_PUBLIC_URL on https")
        return self

    @property
    def totp_required(self) -> bool:
        """A second factor is required in production; elsewhere it can be set, or required by choice."""
        if self.environment == "production":
            return True
        return bool(self.console_totp_required)

    @property
    def secure_cookies(self) -> bool:
        """`Secure` cookies, except for plain-http localhost development."""
        local = self.public_url.startswith(("http://127.0.0.1", "http://localhost"))
        return not (local and self.environment != "production")

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_bot_token)

    @property
    def sms_enabled(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token)

    def channel_summary(self) -> str:
        """One line saying which channels are on, for `serve` to print."""
        parts = [
            f"telegram={'on (' + self.telegram_mode + ')' if self.telegram_enabled else 'off (no TELEGRAM_BOT_TOKEN)'}",
            f"sms={'on' if self.sms_enabled else 'off (no TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN)'}",
            f"simulator={'on' if self.simulator_enabled else 'off'}",
        ]
        return "channels: " + ", ".join(parts)


def demo_settings(**overrides: object) -> Settings:
    """`liaison demo`: the embedded defaults (SQLite under ./var, the development key file) unless the
    environment itself names others; a `.env` written for a deployment does not move the demo onto its data."""
    embedded = {"DATABASE_URL": DEFAULT_DB_URL, "LIAISON_KEY_FILE": DEFAULT_KEY_FILE}
    return load_settings(**{name: value for name, value in embedded.items() if name not in os.environ}, **overrides)


def load_settings(**overrides: object) -> Settings:
    """Read settings; turn pydantic's errors into one clear message naming the variables."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "settings"
            lines.append(f"{loc}: {err['msg']}")
        raise SettingsError("invalid settings:\n  " + "\n  ".join(lines)) from None
