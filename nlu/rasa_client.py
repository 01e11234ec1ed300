"""Client for a Rasa server's ``POST /model/parse`` (aiohttp, never blocking the loop).

Why a thin client of our own: the service only needs one endpoint, must bound every call
with a timeout, and must turn every failure into one exception type the caller can
answer by falling back to the embedded classifier. Errors never carry the message text.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

FALLBACK_INTENT = "nlu_fallback"


class RasaError(Exception):
    """The Rasa server did not give a usable answer (timeout, HTTP error, bad JSON)."""


def server_urls(rasa_url: str) -> dict[str, str] | None:
    """The per-locale form of ``RASA_URL``, ``en=http://127.0.0.1:5005,de=http://127.0.0.1:5006``
    (one server per locale on ports of one host); None for the one-URL forms."""
    if "=" not in rasa_url.split("://", 1)[0]:
        return None
    urls = {}
    for part in rasa_url.split(","):
        locale, sep, url = part.strip().partition("=")
        if not sep or not locale.strip() or not url.strip():
            raise ValueError("RASA_URL per locale must read like en=http://host:5005,de=http://host:5006")
        urls[locale.strip()] = url.strip()
    return urls


def parse_url(base_url: str, locale: str) -> str:
    """``RASA_URL`` is one server for every locale, may hold ``{locale}`` to reach one server per
    locale by name, or names one server per locale (``server_urls``)."""
    urls = server_urls(base_url)
    if urls is not None:
        if locale not in urls:
            raise RasaError(f"no Rasa server for locale {locale[:8]!r}")
        base_url = urls[locale]
    base = base_url.replace("{locale}", locale) if "{locale}" in base_url else base_url
    return base.rstrip("/") + "/model/parse"


class RasaClient:
    """One shared aiohttp session; ``parse`` raises RasaError on any failure."""

    def __init__(self, base_url: str, timeout: float = 2.0, session: aiohttp.ClientSession | None = None) -> None:
        self.base_url = base_url
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._session = session
        self._owns_session = session is None

    async def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
            self._owns_session = True
        return self._session

    async def parse(self, text: str, locale: str) -> dict[str, Any]:
        """Rasa's parse of ``text``, validated and completed to the documented shape."""
        url = parse_url(self.base_url, locale)
        session = await self._get_session()
        try:
            async with session.post(
                url, json={"text": text}, timeout=self.timeout
            ) as resp:
                if resp.status != 200:
                    raise RasaError(f"HTTP {resp.status}")
                body = await resp.json(content_type=None)
        except TimeoutError:
            raise RasaError("timeout") from None
        except asyncio.CancelledError:
            raise
        except aiohttp.ClientError as exc:
            raise RasaError(type(exc).__name__) from None
        except ValueError:  # JSON decode errors
            raise RasaError("invalid JSON") from None
        return _validated(body, text)

    async def close(self) -> None:
        if self._owns_session and self._session is not None and not self._session.closed:
            await self._session.close()


def _validated(body: Any, text: str) -> dict[str, Any]:
    if not isinstance(body, dict) or not isinstance(body.get("intent"), dict):
        raise RasaError("response without an intent")
    intent = body["intent"]
    name = intent.get("name")
    confidence = intent.get("confidence", 0.0)
    if name is not None and not isinstance(name, str):
        raise RasaError("intent name is not a string")
    if not isinstance(confidence, int | float):
        raise RasaError("intent confidence is not a number")
    ranking = body.get("intent_ranking") or []
    entities = body.get("entities") or []
    if not isinstance(ranking, list) or not isinstance(entities, list):
        raise RasaError("intent_ranking/entities are not lists")
    result = dict(body)
    # Rasa answers an empty or unparseable message with a null intent: treat as fallback.
    result["intent"] = {"name": name or FALLBACK_INTENT, "confidence": float(confidence)}
    result["intent_ranking"] = ranking
    result["entities"] = entities
    result["text"] = text
    return result
