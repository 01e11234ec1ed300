"""Logs are read by operators and shipped to log stores: they must never hold her number or words."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from bot.channels.base import InboundEvent
from bot.logs import JsonFormatter, log_event

PHONE = "+447700900555"


async def test_a_conversation_leaves_no_number_or_words_in_the_logs(service, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    await service.pipeline.accept(InboundEvent(
        channel="simulator", provider_id="log-1", address=PHONE, received_at=datetime.now(UTC),
        text="he took my phone last night",
    ))
    await service.dispatcher.dispatch_due()
    formatter = JsonFormatter()
    lines = [formatter.format(r) for r in caplog.records]
    assert any("inbound.processed" in line for line in lines)
    joined = "\n".join(lines) + "\n" + caplog.text
    for plain in (PHONE, "7700900555", "took my phone", "does not take messages"):
        assert plain not in joined


def test_the_formatter_masks_anything_shaped_like_a_number_even_if_code_slips() -> None:
    record = logging.LogRecord("liaison", logging.INFO, __file__, 1, "sent to +44 7700 900123", None, None)
    record.fields = {"chat": "chat 731842233"}
    line = JsonFormatter().format(record)
    assert "7700" not in line and "731842233" not in line


def test_log_event_takes_pseudonymous_fields(caplog) -> None:
    caplog.set_level(logging.INFO)
    log_event("example", survivor="ps-1a2b")
    assert caplog.records[-1].fields == {"survivor": "ps-1a2b"}


def test_the_formatter_keeps_dates_and_times_readable() -> None:
    record = logging.LogRecord("liaison", logging.INFO, __file__, 1,
                               "next run at: 2026-11-30 19:42:11 UTC (scheduled 2026-11-30T19:41:11+00:00)", None, None)
    line = JsonFormatter().format(record)
    assert "2026-11-30 19:42:11 UTC" in line and "2026-11-30T19:41:11+00:00" in line and "[redacted]" not in line
