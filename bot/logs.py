"""Structured JSON logs that hold no personal data.

Code logs events with pseudonymous ids only (`log_event`). As a second line of defence the
formatter masks anything shaped like a phone number or a long numeric chat id.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

# dates and times ("2026-11-30 19:42:11") are kept; anything else shaped like a number is masked
_DATE_TIME_OR_NUMBER = re.compile(
    r"(?P<keep>\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[+-]\d{2}:\d{2}|Z)?)?)(?!\d)"
    r"|(?P<number>\+?\d[\d \-]{6,}\d)"
)

log = logging.getLogger("liaison")


def redact(text: str) -> str:
    return _DATE_TIME_OR_NUMBER.sub(lambda m: m.group("keep") or "[redacted]", text)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": redact(record.getMessage()),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            payload.update({k: redact(str(v)) if isinstance(v, str) else v for k, v in fields.items()})
        if record.exc_info and record.exc_info[0] is not None:
            # the exception type only: messages of driver errors can echo bound parameters
            payload["error"] = record.exc_info[0].__name__
        return json.dumps(payload, default=str)


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)


def log_event(event: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log one event with pseudonymous fields (never a number, chat id or her words)."""
    exc_info = fields.pop("exc_info", False)
    log.log(level, event, extra={"fields": fields}, exc_info=exc_info)
