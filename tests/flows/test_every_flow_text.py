"""Walk every flow by pressing every option and typing the usual things, and check every message
it can produce: the key exists in both locales, renders, carries its cover title, and (cover on)
names nothing sensitive outside the explicit post-PIN pages, whose previews stay clean anyway."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from bot import catalog
from content import LOCALES
from flows import onboarding, router
from flows.types import Context, FlowResult, Invite, Say, UserInput
from safety.disguise import Disguise, preview_parts, revealing_preview, sensitive_hits
from tests.flows.conftest import NOW, context

TYPED = ("hello", "4821", "7395", "1357", "Mon-Fri 9-12", "07700 900123", "yes", "no", "Europe/Paris",
         "stop", "start", "help", "exit", "numbers", "menu", "1", "2")
MAX_NODES = 300


def _key(state: dict[str, Any]) -> str:
    keep = {k: v for k, v in state.items() if k not in ("touched",)}
    return json.dumps(keep, sort_keys=True, default=str)


def explore(ctx: Context, start: dict[str, Any]) -> list[Say]:
    """Breadth-first over states reachable by buttons and typical text, collecting every Say."""
    says: list[Say] = []
    seen: set[str] = set()
    queue = [start]
    while queue and len(seen) < MAX_NODES:
        state = queue.pop(0)
        if _key(state) in seen:
            continue
        seen.add(_key(state))
        inputs = [UserInput(ctx.channel, NOW, button=p) for p in state.get("options") or []]
        inputs += [UserInput(ctx.channel, NOW, text=t) for t in TYPED]
        for event in inputs:
            res: FlowResult = router.route(event, state, ctx)
            if not res.says and res.effects:  # asked for the NLU: answer as the engine would
                res = router.route(event, state, replace(ctx, interpreted=True, intent=None))
            says.extend(res.says)
            queue.append(res.state.dump())  # as stored
    return says


def every_say() -> list[tuple[str, Say]]:
    """Distinct messages (the walk meets most of them many times)."""
    found: list[tuple[str, Say]] = []
    for channel in ("simulator", "sms"):
        for plain in (False, True):
            windows = [{"days": [0], "start": "09:00", "end": "12:00"}]
            active = context(channel, plain_mode=plain, contact_windows=windows)
            found += [(channel, s) for s in explore(active, {"flow": "menu", "step": "main"})]
            unlocked = {"flow": "menu", "step": "main", "unlocked_until": (NOW + timedelta(minutes=5)).isoformat()}
            found += [(channel, s) for s in explore(active, unlocked)]
            new = context(channel, status="onboarding", has_pin=False, consents={}, persona=None)
            first = onboarding.begin(UserInput(channel, NOW, text="X"), replace(new, invite=Invite("valid", 1)))
            found += [(channel, s) for s in first.says]
            found += [(channel, s) for s in explore(new, first.state.dump())]
            stopped = context(channel, status="stopped")
            found += [(channel, s) for s in explore(stopped, {"flow": "stopped", "step": "main"})]
    distinct = {repr(item): item for item in found}
    return list(distinct.values())


SAYS = every_say()


def test_the_walk_reaches_every_flow() -> None:
    keys = {k.split(".")[0] for _, s in SAYS for k in (s.key, s.params.get("lead", s.key))}
    assert {"onboarding", "consent", "pin", "menu", "info", "programme", "callback", "settings", "erase",
            "stop", "help", "emergency", "exit", "fallback"} <= keys


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_of_every_flow_renders_with_its_cover_and_clean_words(locale: str) -> None:
    pattern, numbers = catalog.sensitive_pattern(locale), catalog.emergency_number_pattern(locale)
    problems = set()
    for _channel, say in SAYS:
        for persona in catalog.persona_ids():
            body, buttons = catalog.render(say, locale, Disguise(persona))
            if not body.startswith(catalog.title(locale, Disguise(persona)) + "\n"):
                problems.add((say.key, "no cover title"))
            if revealing_preview(body, pattern, numbers):
                problems.add((say.key, "sensitive preview"))
            if not say.sensitive and sensitive_hits(body + " ".join(b.label for b in buttons), pattern):
                problems.add((say.key, "sensitive text"))
            if say.key in catalog.post_pin_keys(locale) and not say.sensitive:
                problems.add((say.key, "explicit page not marked sensitive"))
        body, _ = catalog.render(say, locale, Disguise(plain=True))
        if any(numbers.search(part) for part in preview_parts(body)):  # plain mode may name things, not these
            problems.add((say.key, "emergency number in the preview (plain mode)"))
    assert problems == set()


def test_emergency_numbers_are_urgent_wherever_they_appear() -> None:
    assert any(s.key == "emergency.numbers" for _, s in SAYS)
    assert all(s.urgent for _, s in SAYS if s.key == "emergency.numbers")
    assert not any(s.urgent for _, s in SAYS if s.key != "emergency.numbers")


def test_at_most_one_message_per_reply_carries_options_so_numbered_replies_are_unambiguous() -> None:
    ctx = context("sms")
    for state in ({"flow": "menu", "step": "main"},
                  {"flow": "menu", "step": "main", "unlocked_until": (NOW + timedelta(minutes=5)).isoformat()}):
        for payload in ("menu:info", "menu:callback", "menu:settings", "menu:numbers", "menu:erase", "menu:main"):
            res = router.route(UserInput("sms", NOW, button=payload), state, ctx)
            assert sum(1 for s in res.says if s.options) <= 1, payload
