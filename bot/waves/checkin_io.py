"""The check-in's I/O side: runs `flows.checkin` for an inbound message and renders its texts.

The conversation engine (bot/conversation.py) needs two calls:

    result = await handle_checkin(session, survivor, user_input, now)
    if result is not None:      # the input was for her open wave
        ... apply_effects(session, survivor, result)  # RaiseEscalation only
        ... enqueue result.says, rendered with `render_for(say, survivor)`

`render`/`render_for` render `checkin.*` messages from the questionnaire files (her persona's title
first, like every message) and hand every other key to bot.catalog, so the engine can use them for
all messages.
Her check-in position lives in `wave_instances.progress`, not in `survivors.state`:
`result.state` is her conversation state unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import catalog
from bot.channels.base import Button
from bot.storage.models import Answer, WaveInstance
from flows.checkin import CheckinContext, FinishWave, RecordAnswer, step, text_say
from flows.payloads import wave_instance_of
from flows.questionnaires import Questionnaire, QuestionnaireSet, default_questionnaires
from flows.types import FlowResult, RaiseEscalation, Say, UserInput
from safety.disguise import Disguise, wrap
from safety.triage import RANK, TriageRules, default_rules

OPEN_STATES = ("sent", "reminded")
RESPONDED_STATES = ("answered", "partial")
PRIORITY_OF_RANK = {rank: name for name, rank in RANK.items()}


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
    if say.key == "checkin.text":
        body = q.text(p.pop("text"), **p)
    elif say.key == "checkin.opening":
        name = "reminder" if p.get("reminder") else "opening"
        body = q.text(f"{name}_plain" if plain else name)
    elif say.key == "checkin.question":
        item = q.item(p["item"])
        body = item.wording if plain or not item.cover_wording else item.cover_wording
        if item.scale.type == "range":
            body += " " + q.text("range_hint", min=item.scale.min, max=item.scale.max,
                                 low=item.scale.low_label, high=item.scale.high_label)
    else:
        raise KeyError(f"unknown check-in message {say.key!r}")
    buttons = tuple(Button(o.payload, _label(qs, locale, o.label_key)) for o in say.options)
    if disguise is not None:
        body = wrap(catalog.title(locale, disguise), body)
    return body, buttons


def render(say: Say, locale: str, disguise: Disguise | None = None) -> tuple[str, tuple[Button, ...]]:
    """Any semantic message: check-in texts from the questionnaires, the rest from bot.catalog
    (a drop-in for `catalog.render`)."""
    if say.key.startswith("checkin."):
        return render_checkin(say, locale, disguise)
    return catalog.render(say, locale, disguise)


def render_for(say: Say, survivor: Any) -> tuple[str, tuple[Button, ...]]:
    """For an enrolled survivor, in her locale and cover (a drop-in for `catalog.render_for`)."""
    return render(say, survivor.locale, Disguise.of(survivor.persona, survivor.plain_mode))


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


async def store_answer(session: AsyncSession, instance_id: int, rec: RecordAnswer, now: datetime) -> None:
    row = await session.scalar(
        select(Answer).where(Answer.wave_instance_id == instance_id, Answer.item_code == rec.item)
    )
    if row is None:
        row = Answer(wave_instance_id=instance_id, item_code=rec.item)
        session.add(row)
    row.value, row.free_text, row.skipped, row.answered_at = rec.value, rec.free_text, rec.skipped, now
    await session.flush()


# -- the integration -------------------------------------------------------------------------------
async def handle_checkin(session: AsyncSession, survivor: Any, event: UserInput, now: datetime, *,
                         questionnaires: QuestionnaireSet | None = None,
                         rules: TriageRules | None = None) -> FlowResult | None:
    """Run her open wave's check-in for one input, storing each answer at once.

    Pass the input as received (her text, or the payload of the button she pressed). Returns None
    when it is not for a check-in (no open wave; she is not answering and did not choose to start;
    a word that works everywhere: stop, quick exit, numbers, help, menu), so the engine then routes
    it as usual. Call it inside the inbound transaction, after danger detection, for an active
    survivor. In plain mode the questions are explicit (`sensitive`): gate them behind her PIN as
    other explicit content, e.g. ask for it when she presses "start" and, once unlocked, call this
    again with the button `wave:<id>:start`.
    """
    qs = questionnaires or default_questionnaires()
    rules = rules or default_rules()
    unchanged: dict[str, Any] = dict(survivor.state or {})
    instance = await session.scalar(
        select(WaveInstance).where(
            WaveInstance.survivor_id == survivor.id, WaveInstance.state.in_(OPEN_STATES),
            WaveInstance.closes_at > now,
        ).order_by(WaveInstance.due_at.desc()).limit(1).with_for_update()
    )
    if instance is None:
        if wave_instance_of(event.button) is not None:
            # a button of a wave that has closed: say so instead of leaving her without an answer
            stale = await _instance_of_button(session, survivor.id, event.button)
            if stale is not None:
                q = qs.get(survivor.locale, stale.questionnaire, stale.questionnaire_version)
                return FlowResult(unchanged, [text_say(q, "closed")], [])
        return None
    q = qs.get(survivor.locale, instance.questionnaire, instance.questionnaire_version)
    ctx = CheckinContext(
        questionnaire=q, instance_id=instance.id, answers=await answers_of(session, instance.id),
        previous=await previous_answers(session, survivor.id, instance.due_at), rules=rules,
        plain=bool(survivor.plain_mode), country=survivor.country or "",
        numbered_opening=_opening_is_latest(unchanged, instance),
    )
    result = step(ctx, dict(instance.progress or {}), event)
    if result is None:
        return None
    escalations: list[RaiseEscalation] = []
    for effect in result.effects:
        if isinstance(effect, RecordAnswer):
            await store_answer(session, instance.id, effect, now)
        elif isinstance(effect, FinishWave):
            instance.state, instance.completed_at = "answered", now
        elif isinstance(effect, RaiseEscalation):
            escalations.append(effect)
        else:
            raise TypeError(f"unknown check-in effect {type(effect).__name__}")
    instance.progress = dict(result.state)
    raised = int(result.state.get("raised", 0))
    if raised:
        instance.triage_priority = PRIORITY_OF_RANK[raised]
    return FlowResult(unchanged, list(result.says), list(escalations))


def _opening_is_latest(state: Mapping[str, Any], instance: Any) -> bool:
    """Did the opening (or reminder) reach her after her last conversation turn? Then a typed "1" or
    "2" answers it rather than options another flow showed before (the router stamps `touched`)."""
    opened = instance.reminded_at or instance.sent_at
    touched = state.get("touched")
    if opened is None or not isinstance(touched, str):
        return True
    try:
        last = datetime.fromisoformat(touched)
    except ValueError:
        return True
    return last.tzinfo is None or last <= opened


async def _instance_of_button(session: AsyncSession, survivor_id: int, payload: object) -> Any:
    instance_id = wave_instance_of(payload)
    if instance_id is None:
        return None
    return await session.scalar(
        select(WaveInstance).where(WaveInstance.id == instance_id, WaveInstance.survivor_id == survivor_id)
    )


def priority_name(progress: Mapping[str, Any]) -> str | None:
    return PRIORITY_OF_RANK.get(int(progress.get("raised", 0)))
