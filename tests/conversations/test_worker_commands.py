"""The liaison worker's side: `liaison invite create` and `liaison callbacks list`."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from click.testing import CliRunner
from sqlalchemy import select

from bot.callbacks import next_slots
from bot.storage.db import Database
from bot.storage.models import AuditEvent, CallbackRequest, Escalation, Invitation, OutboundMessage, Survivor
from liaison.cli import cli
from safety.crypto import KeyRing


def run(args: list[str], database_url: str, keyring: KeyRing, **env: str) -> Any:
    result = CliRunner().invoke(cli, args, env={"DATABASE_URL": database_url, "LIAISON_KEY_FILE": str(keyring.path),
                                                "LIAISON_ENV": "test", "USER": "worker-7", **env})
    return result


TELEGRAM_ON = {"TELEGRAM_BOT_TOKEN": "123456:TEST-token-not-real", "TELEGRAM_WEBHOOK_SECRET": "secret_for_tests_0123"}
SMS_ON = {"TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "test-token-not-a-secret",
          "TWILIO_FROM": "+447700900000"}


def query(database_url: str, keyring: KeyRing, work: Any) -> Any:
    async def go() -> Any:
        db = Database(database_url, keyring)
        try:
            async with db.transaction() as s:
                return await work(s)
        finally:
            await db.dispose()
    return asyncio.run(go())


def test_a_telegram_invitation_prints_a_one_time_code_and_a_deep_link(database_url: str, keyring: KeyRing) -> None:
    out = run(["invite", "create", "--channel", "telegram", "--locale", "de"], database_url, keyring,
              TELEGRAM_BOT_USERNAME="GardenTipsBot", **TELEGRAM_ON)
    assert out.exit_code == 0, out.output
    code = out.output.split("code: ")[1].split()[0]
    assert len(code) == 9 and code[4] == "-"
    assert f"link: https://t.me/GardenTipsBot?start={code.replace('-', '')}" in out.output

    async def stored(s: Any) -> Any:
        return (await s.scalars(select(Invitation))).all(), (await s.scalars(select(AuditEvent))).all()
    invitations, audit = query(database_url, keyring, stored)
    assert [(i.channel, i.locale, i.used_at) for i in invitations] == [("telegram", "de", None)]
    assert code.replace("-", "") not in str(invitations[0].code_index)  # only a blind index is kept
    assert [(a.actor, a.action) for a in audit] == [("worker-7", "invite.created")]


def test_an_sms_invitation_needs_her_number_and_queues_one_neutral_opt_in(database_url: str,
                                                                          keyring: KeyRing) -> None:
    refused = run(["invite", "create", "--channel", "sms", "--locale", "en"], database_url, keyring, **SMS_ON)
    assert refused.exit_code != 0 and "--phone" in refused.output
    out = run(["invite", "create", "--channel", "sms", "--locale", "en", "--phone", "+44 7700 900123"],
              database_url, keyring, **SMS_ON)
    assert out.exit_code == 0, out.output
    assert "opt-in text is queued" in out.output

    async def outbox(s: Any) -> Any:
        return (await s.scalars(select(OutboundMessage))).all()
    (row,) = query(database_url, keyring, outbox)
    assert (row.channel, row.address, row.is_reply, row.text_key) == ("sms", "+447700900123", False,
                                                                      "invite.sms_optin")
    assert row.body.startswith("⛅ Weather Desk\n") and "Reply YES" in row.body


def test_open_call_backs_are_listed_in_the_workers_time_zone_and_numbers_only_with_an_audited_flag(
        database_url: str, keyring: KeyRing) -> None:
    async def setup(s: Any) -> str:
        survivor = Survivor(pseudonym="a1b2c3d4e5f60718", status="active", timezone="Europe/London")
        s.add(survivor)
        await s.flush()
        escalation = Escalation(survivor_id=survivor.id, priority="routine", reason="callback_requested")
        s.add(escalation)
        await s.flush()
        s.add(CallbackRequest(survivor_id=survivor.id, escalation_id=escalation.id, phone="+447700900123",
                              windows=[{"days": list(range(7)), "start": "09:00", "end": "12:00"}]))
        return survivor.pseudonym
    pseudonym = query(database_url, keyring, setup)

    listed = run(["callbacks", "list", "--tz", "Europe/Berlin"], database_url, keyring)
    assert listed.exit_code == 0, listed.output
    assert pseudonym in listed.output and "times in Europe/Berlin" in listed.output
    assert "10:00–13:00" in listed.output  # London 09:00-12:00 seen from Berlin
    assert "+447700900123" not in listed.output

    async def audits(s: Any) -> Any:
        return (await s.scalars(select(AuditEvent))).all()
    assert query(database_url, keyring, audits) == []

    shown = run(["callbacks", "list", "--tz", "Europe/London", "--show-identifying", "--by", "jo"],
                database_url, keyring)
    assert "number: +447700900123" in shown.output and "09:00–12:00" in shown.output
    (audit,) = query(database_url, keyring, audits)
    assert (audit.actor, audit.action, audit.survivor_pseudonym) == ("jo", "callbacks.show_identifying", pseudonym)

    assert run(["callbacks", "list", "--tz", "Mars/Base"], database_url, keyring).exit_code != 0


def test_slots_follow_daylight_saving_on_both_sides() -> None:
    window = [{"days": [6], "start": "09:00", "end": "10:00"}]
    # the last Sunday of March: London and Berlin both change, an hour apart
    before = next_slots(window, "Europe/London", datetime(2025, 3, 22, 12, tzinfo=UTC), days=1)
    after = next_slots(window, "Europe/London", datetime(2025, 3, 30, 0, tzinfo=UTC), days=0)
    assert before[0].start.astimezone(UTC).hour == 9 and after[0].start.astimezone(UTC).hour == 8
    assert after[0].end - after[0].start == timedelta(hours=1)


def test_an_invitation_on_a_channel_that_is_off_is_refused_and_nothing_waits(database_url: str,
                                                                            keyring: KeyRing) -> None:
    out = run(["invite", "create", "--channel", "sms", "--locale", "en", "--phone", "+44 7700 900123"],
              database_url, keyring)
    assert out.exit_code == 1 and "the sms channel is off" in out.output
    assert "Traceback" not in out.output and len(out.output.strip().splitlines()) == 1

    async def stored(s: Any) -> Any:
        return (await s.scalars(select(Invitation))).all(), (await s.scalars(select(OutboundMessage))).all()
    assert query(database_url, keyring, stored) == ([], [])
