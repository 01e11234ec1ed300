"""The check-in's I/O side: what the engine fetches and stores for `flows.checkin`, and its texts.

The check-in is a flow like the others (flows/checkin.py, decided by the router's `open_checkin`
rule); its position lives in her conversation state (survivors.state, under `checkin`). Here, for
the engine (bot/conversation.py): pre-fetching her open wave (`open_checkin`) or the closed wave a
button belongs to (`closed_checkin`), carrying out the rule's effects (`record_answer`,
`finish_wave`, `set_priority`), and rendering `checkin.*` messages from the questionnaire files
(her persona's title first, like every message; a question after a neutral lead, as a notice's
text is, so a lock screen or chat list never shows one). `wave_instances.progress` keeps only the
scheduler's own marker (`offered_again`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import catalog
from bot.channels.base import Button
from bot.storage.models import Answer, WaveInstance
from flows.payloads import wave_instance_of
from flows.questionnaires import Questionnaire, QuestionnaireSet, default_questionnaires
from flows.types import FinishCheckin, OpenCheckin, RecordCheckinAnswer, Say, SetCheckinPriority
from safety.disguise import Disguise, wrap

OPEN_STATES = ("sent", "reminded")
RESPONDED_STATES = ("answered", "partial")


# -- rendering -------------------------------------------------------------------------------------
def _label(qs: QuestionnaireSet, locale: str, key: str) -> str:
    parts = key.split(":")
    if len(parts) < 5 or parts[0] != "checkin":
        raise KeyError(f"not a check-in label key: {key!r}")
    q = qs.get(locale, parts[1], parts[2])
    if parts[3] == "text":
        return q.text(parts[4])
    if parts[3] == "opt" and len(parts) == 6:
        return q.item(parts[4]).scale.label(parts[5])
    raise KeyError(f"not a check-in label key: {key!r}")


def render_checkin(say: Say, locale: str, disguise: Disguise | None = None,
                   qs: QuestionnaireSet | None = None) -> tuple[str, tuple[Button, ...]]:
    """A `checkin.*` message from its questionnaire file; with `disguise`, her cover title first."""
    qs = qs or default_questionnaires()
    p = dict(say.params)
    q: Questionnaire = qs.get(locale, p.pop("q"), p.pop("v"))
    plain = bool(p.pop("plain", disguise.plain if disguise else False))
    lead = None
    if say.key == "checkin.text":
        body = q.text(p.pop("text"), **p)
    elif say.key == "checkin.opening":
        name = "reminder" if p.get("reminder") else "opening"
        body = q.text(f"{name}_plain" if plain else name)
    elif say.key == "checkin.question":
        item = q.item(p["item"])
        body = item.wording if plain or not item.cover_wording else item.cover_wording
        if item.scale.type == "range":  # typed: on SMS she replies with the value itself (flows/checkin.py)
            hint = "range_hint_typed" if p.get("typed") else "range_hint"
            body += " " + q.text(hint, min=item.scale.min, max=item.scale.max,
                                 low=item.scale.low_label, high=item.scale.high_label)
        lead = q.text("question_lead")  # the question itself starts past what a lock screen shows
    else:
        raise KeyError(f"unknown check-in message {say.key!r}")
    buttons = tuple(Button(o.payload, _label(qs, locale, o.label_key)) for o in say.options)
    if disguise is not None:
        body = wrap(catalog.title(locale, disguise), body, lead)
    return body, buttons


# -- reading her answers ---------------------------------------------------------------------------
async def answers_of(session: AsyncSession, instance_id: int) -> dict[str, str | None]:
    rows = (await session.execute(
        select(Answer.item_code, Answer.value).where(Answer.wave_instance_id == instance_id)
    )).all()
    return {code: value for code, value in rows}  # None: skipped, or free text


async def previous_answers(session: AsyncSession, survivor_id: int, before: datetime) -> dict[str, str]:
    """Her most recent answer set (answered or partial) due before `before`: for "fear rose"."""
    prev_id = await session.scalar(
        select(WaveInstance.id).where(
            WaveInstance.survivor_id == survivor_id, WaveInstance.due_at < before,
            WaveInstance.state.in_(RESPONDED_STATES),
        ).order_by(WaveInstance.due_at.desc()).limit(1)
    )
    if prev_id is None:
        return {}
    rows = (await session.execute(
        select(Answer.item_code, Answer.value).where(Answer.wave_instance_id == prev_id, Answer.value.isnot(None))
    )).all()
    out: dict[str, str] = {}
    for code, value in rows:
        if value is not None:
            out[code] = value
    return out


# -- the engine's side: what the check-in rule needs, and what its effects do ----------------------
async def open_checkin(session: AsyncSession, survivor: Any, now: datetime,
                       questionnaires: QuestionnaireSet | None = None) -> OpenCheckin | None:
    """Her wave that reached her and is still open (locked for this turn), with her answers so far
    and her previous answer set: everything the check-in rule reads (flows.checkin.handle)."""
    if survivor.status != "active":
        return None
    instance = await session.scalar(
        select(WaveInstance).where(
            WaveInstance.survivor_id == survivor.id, WaveInstance.state.in_(OPEN_STATES),
            WaveInstance.closes_at > now,
        ).order_by(WaveInstance.due_at.desc()).limit(1).with_for_update()
    )
    if instance is None:
        return None
    qs = questionnaires or default_questionnaires()
    return OpenCheckin(
        instance_id=instance.id,
        questionnaire=qs.get(survivor.locale, instance.questionnaire, instance.questionnaire_version),
        sent_at=instance.sent_at, reminded_at=instance.reminded_at,
        answers=await answers_of(session, instance.id),
        previous=await previous_answers(session, survivor.id, instance.due_at),
    )


async def closed_checkin(session: AsyncSession, survivor: Any, payloads: Iterable[object],
                         questionnaires: QuestionnaireSet | None = None) -> Questionnaire | None:
    """The questionnaire of a wave of hers that has closed, when her button (or the check-in her PIN
    prompt is for) belongs to one: the rule then says it has closed."""
    for payload in payloads:
        instance_id = wave_instance_of(payload)
        if instance_id is None:
            continue
        stale = await session.scalar(
            select(WaveInstance).where(WaveInstance.id == instance_id, WaveInstance.survivor_id == survivor.id))
        if stale is not None:
            qs = questionnaires or default_questionnaires()
            return qs.get(survivor.locale, stale.questionnaire, stale.questionnaire_version)
    return None


async def record_answer(session: AsyncSession, rec: RecordCheckinAnswer, now: datetime) -> None:
    row = await session.scalar(
        select(Answer).where(Answer.wave_instance_id == rec.instance_id, Answer.item_code == rec.item)
    )
    if row is None:
        row = Answer(wave_instance_id=rec.instance_id, item_code=rec.item)
        session.add(row)
    row.value, row.free_text, row.skipped, row.answered_at = rec.value, rec.free_text, rec.skipped, now
    await session.flush()


async def finish_wave(session: AsyncSession, done: FinishCheckin, now: datetime) -> None:
    """The answer set is complete (the instance was locked when the turn began)."""
    instance = await session.get(WaveInstance, done.instance_id)
    if instance is not None:
        instance.state, instance.completed_at = "answered", now


async def set_priority(session: AsyncSession, raised: SetCheckinPriority) -> None:
    instance = await session.get(WaveInstance, raised.instance_id)
    if instance is not None:
        instance.triage_priority = raised.priority
