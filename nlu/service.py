"""The NLU entry point the rest of the service calls.

Why this shape: flows need one async call that always answers. With ``RASA_URL`` set the
Rasa server is asked first; any timeout or error falls back to the embedded classifier
(logged without the text), so an outage of the optional Rasa server never silences a
survivor. Embedded models load lazily, once per locale, from a cache keyed by the hash
of the training data, and are kept in memory.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nlu import NLU_DIR, SUPPORTED_LOCALES
from nlu.classifier import (
    DEFAULT_THRESHOLD,
    FALLBACK_INTENT,
    EmbeddedClassifier,
    cached_model_path,
    load_or_train,
    train_in_subprocess,
)
from nlu.rasa_client import RasaClient, RasaError
from safety.danger_decision import DANGER_INTENT, SELF_HARM_INTENT, DangerDecision, decide
from safety.danger_net import DangerSignal, detect_danger

DANGER_CHECK_INTENT = "danger_check"  # = flows.danger_check.INTENT (nlu does not import flows)
SELF_HARM_CHECK_INTENT = "self_harm_check"  # = flows.danger_check.SELF_HARM_INTENT: asked about her own life

log = logging.getLogger(__name__)

DEFAULT_CACHE_DIR = Path("var/nlu-cache")
DEFAULT_LOCALE = "en"


@dataclass(frozen=True)
class Understanding:
    """What a free-text message means: the parse, the danger signal and the danger decision. What
    the service then does with `flow_intent` is one policy, flows/fallback.py (`understand`)."""

    parse: dict[str, Any]
    danger: DangerSignal | None
    decision: DangerDecision | None = None

    @property
    def flow_intent(self) -> str | None:
        """The intent the flows act on: the danger decision first, then the classifier's intent.

        ``danger_now`` when the decision alerts (``self_harm`` when her own life is at risk),
        ``danger_check`` (flows/danger_check.py asks "do you need help right now?") when it asks
        (``self_harm_check`` when it asks about her own life: a yes is then the crisis line),
        else the parsed intent; None below the threshold.
        """
        if self.decision is not None and self.decision.action == "alert":
            return SELF_HARM_INTENT if self.decision.kind == "self_harm" else DANGER_INTENT
        if self.decision is not None and self.decision.action == "ask":
            return SELF_HARM_CHECK_INTENT if self.decision.kind == "self_harm" else DANGER_CHECK_INTENT
        name = (self.parse.get("intent") or {}).get("name")
        if name in (None, FALLBACK_INTENT, DANGER_INTENT, SELF_HARM_INTENT):  # below the bar: the decision said none
            return None
        return str(name)


class NluService:
    """Parse free text in a survivor's locale; embedded by default, Rasa when configured."""

    def __init__(
        self,
        cache_dir: Path = DEFAULT_CACHE_DIR,
        rasa_url: str | None = None,
        timeout: float = 2.0,
        *,
        data_root: Path = NLU_DIR,
        threshold: float = DEFAULT_THRESHOLD,
        train_apart: bool = False,
    ) -> None:
        """``train_apart``: a model missing from the cache is trained by a child process and only its
        arrays are loaded here (what a long-running service wants: training's libraries stay out of
        its memory); if the child fails, it is trained in this process after all."""
        self.cache_dir = Path(cache_dir)
        self.train_apart = train_apart
        self.rasa_url = rasa_url or None
        self.timeout = timeout
        self.data_root = Path(data_root)
        self.threshold = threshold
        self._models: dict[str, EmbeddedClassifier] = {}
        self._lock = threading.Lock()
        self._rasa = RasaClient(self.rasa_url, timeout) if self.rasa_url else None

    def _locale(self, locale: str) -> str:
        if locale in SUPPORTED_LOCALES:
            return locale
        log.warning("nlu: unsupported locale %r, using %s", locale[:8], DEFAULT_LOCALE)
        return DEFAULT_LOCALE

    def model(self, locale: str) -> EmbeddedClassifier:
        """The embedded model for a locale: from memory, else cache, else trained now."""
        locale = self._locale(locale)
        model = self._models.get(locale)
        if model is not None:
            return model
        with self._lock:  # one training per locale even if several threads ask at once
            model = self._models.get(locale)
            if model is None:
                data_dir = self.data_root / locale
                cached = cached_model_path(locale, data_dir, self.cache_dir, self.threshold)
                if self.train_apart and not cached.exists():
                    train_in_subprocess(locale, data_dir, self.cache_dir, self.threshold)
                model, _ = load_or_train(locale, data_dir, self.cache_dir, self.threshold)
                self._models[locale] = model
        return model

    def parse_embedded(self, text: str, locale: str) -> dict[str, Any]:
        """Synchronous parse with the embedded classifier (Rasa /model/parse shape)."""
        return self.model(locale).parse(text)

    async def parse(self, text: str, locale: str) -> dict[str, Any]:
        """Parse via Rasa when configured, else (or on any Rasa failure) embedded."""
        locale = self._locale(locale)
        # A blank message never goes to Rasa: a real 3.6 server answers "" with a confident
        # intent (affirm 0.67 in our measurement), and an empty SMS must not mean "yes".
        if self._rasa is not None and text.strip():
            try:
                return await self._rasa.parse(text, locale)
            except RasaError as exc:
                # The reason is a status or exception class name; never the message text.
                log.warning("nlu: rasa parse failed for locale %s (%s); using embedded classifier", locale, exc)
        if locale not in self._models:
            await asyncio.to_thread(self.model, locale)  # training must not block the event loop
        return self.parse_embedded(text, locale)

    async def understand(self, text: str, locale: str) -> Understanding:
        """Parse + danger net + danger decision in one call; the danger net runs on every message."""
        danger = detect_danger(text, locale)
        parse = await self.parse(text, locale)
        return Understanding(parse=parse, danger=danger, decision=decide(text, parse, danger))

    async def close(self) -> None:
        if self._rasa is not None:
            await self._rasa.close()

    async def __aenter__(self) -> NluService:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
