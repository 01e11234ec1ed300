"""NluService: embedded by default; Rasa's POST /model/parse when configured, with fallback.

The Rasa side is a real HTTP server on 127.0.0.1 (aiohttp) answering in the shape Rasa 3.6
documents and returns (captured from a real 3.6.21 server, see nlu/README.md).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.settings import SettingsError, load_settings
from nlu.cli import what_the_flows_do
from nlu.rasa_client import RasaClient, RasaError, parse_url
from nlu.service import NluService
from safety.crypto import KeyRing

SECRET_TEXT = "he is outside the flat at 12 Rosebank Road"  # must never reach a log


def rasa_answer(text: str) -> dict[str, Any]:
    """A /model/parse response as Rasa 3.6 sends it (DIET + FallbackClassifier pipeline)."""
    return {
        "text": text,
        "intent": {"name": "greet", "confidence": 0.9871},
        "entities": [
            {
                "entity": "daypart",
                "start": 0,
                "end": 5,
                "value": "evening",
                "extractor": "RegexEntityExtractor",
                "processors": ["EntitySynonymMapper"],
            }
        ],
        "text_tokens": [[0, 5]],
        "intent_ranking": [{"name": "greet", "confidence": 0.9871}, {"name": "thanks", "confidence": 0.0071}],
    }


@dataclass
class FakeRasa:
    url: str
    requests: list[tuple[str, Any]] = field(default_factory=list)
    mode: str = "ok"  # ok | error | slow | garbage | no_intent


@pytest.fixture
async def fake_rasa() -> AsyncIterator[FakeRasa]:
    state = FakeRasa(url="")

    async def handle(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        state.requests.append((request.path, body))
        if state.mode == "error":
            return web.json_response({"version": "3.6.21", "status": "failure", "code": 500}, status=500)
        if state.mode == "slow":
            await asyncio.sleep(1.0)
        if state.mode == "garbage":
            return web.Response(text="<html>proxy error</html>", content_type="text/html")
        if state.mode == "no_intent":
            return web.json_response({"text": body["text"]})
        return web.json_response(rasa_answer(body["text"]))

    app = web.Application()
    app.router.add_post("/model/parse", handle)
    app.router.add_post("/{locale}/model/parse", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    state.url = f"http://127.0.0.1:{port}"
    yield state
    await runner.cleanup()


@pytest.fixture
def service_with(nlu_cache: Path, nlu_service: NluService) -> Callable[..., NluService]:
    """A service pointing at some Rasa URL, sharing the session's trained models."""
    made: list[NluService] = []

    def make(url: str, timeout: float = 2.0) -> NluService:
        service = NluService(cache_dir=nlu_cache, rasa_url=url, timeout=timeout)
        service._models.update(nlu_service._models)  # skip the unpickle: same data, same cache
        made.append(service)
        return service

    return make


def assert_text_not_logged(caplog: pytest.LogCaptureFixture, text: str) -> None:
    for record in caplog.records:
        rendered = record.getMessage()
        assert text not in rendered
        assert "Rosebank" not in rendered
        assert not any(text in str(a) for a in (record.args or ()))


async def test_parses_through_rasa(fake_rasa: FakeRasa, service_with: Callable[..., NluService]) -> None:
    async with service_with(fake_rasa.url) as service:
        parse = await service.parse("evening, hi", "en")
    assert fake_rasa.requests == [("/model/parse", {"text": "evening, hi"})]
    assert parse["intent"] == {"name": "greet", "confidence": 0.9871}
    assert parse["intent_ranking"][0]["name"] == "greet"
    assert parse["entities"][0]["value"] == "evening"
    assert parse["text"] == "evening, hi"


async def test_blank_text_never_reaches_rasa(fake_rasa: FakeRasa, service_with: Callable[..., NluService]) -> None:
    async with service_with(fake_rasa.url) as service:
        parse = await service.parse("  ", "en")
    assert fake_rasa.requests == []
    assert parse["intent"]["name"] == "nlu_fallback"


async def test_locale_placeholder_reaches_one_server_per_locale(
    fake_rasa: FakeRasa, service_with: Callable[..., NluService]
) -> None:
    async with service_with(fake_rasa.url + "/{locale}") as service:
        await service.parse("hallo", "de")
    assert fake_rasa.requests[0][0] == "/de/model/parse"
    assert parse_url("http://rasa:5005/", "en") == "http://rasa:5005/model/parse"


async def test_one_server_per_locale_on_ports_of_one_host(
    fake_rasa: FakeRasa, service_with: Callable[..., NluService]
) -> None:
    """RASA_URL=en=URL,de=URL: two servers on loopback (bench/nlu_bench.py runs both locales at once)."""
    async with service_with(f"en={fake_rasa.url}/en, de={fake_rasa.url}/de") as service:
        await service.parse("hallo", "de")
        await service.parse("hello", "en")
    assert [path for path, _ in fake_rasa.requests] == ["/de/model/parse", "/en/model/parse"]
    with pytest.raises(RasaError):
        parse_url(f"en={fake_rasa.url}", "de")  # no server for her locale: the embedded model answers
    with pytest.raises(SettingsError, match="RASA_URL per locale"):
        load_settings(RASA_URL="en=http://127.0.0.1:5005,de=")


@pytest.mark.parametrize("mode", ["error", "slow", "garbage", "no_intent"])
async def test_rasa_failure_falls_back_to_embedded_and_logs_no_text(
    fake_rasa: FakeRasa,
    service_with: Callable[..., NluService],
    caplog: pytest.LogCaptureFixture,
    mode: str,
) -> None:
    fake_rasa.mode = mode
    caplog.set_level(logging.DEBUG)
    async with service_with(fake_rasa.url, timeout=0.3) as service:
        parse = await service.parse(SECRET_TEXT, "en")
    assert fake_rasa.requests, "Rasa was asked first"
    # the embedded answer: no Rasa-only keys, and it saw the danger in the text
    assert "text_tokens" not in parse
    assert parse["intent"]["name"] == "danger_now"
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith("nlu")]
    assert len(warnings) == 1
    assert "using embedded classifier" in warnings[0].getMessage()
    assert_text_not_logged(caplog, SECRET_TEXT)


async def test_unreachable_rasa_falls_back(
    service_with: Callable[..., NluService], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with service_with("http://127.0.0.1:9", timeout=0.5) as service:  # discard port: refused
        parse = await service.parse(SECRET_TEXT, "en")
    assert parse["intent"]["name"] == "danger_now"
    assert "rasa parse failed" in caplog.text
    assert_text_not_logged(caplog, SECRET_TEXT)


async def test_client_errors_are_one_type_without_text(fake_rasa: FakeRasa) -> None:
    fake_rasa.mode = "error"
    client = RasaClient(fake_rasa.url, timeout=1.0)
    try:
        with pytest.raises(RasaError) as info:
            await client.parse(SECRET_TEXT, "en")
    finally:
        await client.close()
    assert str(info.value) == "HTTP 500"


async def test_understand_lets_danger_win_over_rasa(
    fake_rasa: FakeRasa, service_with: Callable[..., NluService]
) -> None:
    async with service_with(fake_rasa.url) as service:
        result = await service.understand("hi, he is here", "en")
    assert result.parse["intent"]["name"] == "greet"  # Rasa said greet...
    assert result.danger is not None and result.danger.rule == "abuser_present"
    assert result.flow_intent == "danger_now"  # ...the danger net decides


async def test_embedded_is_the_default_and_loads_lazily(nlu_cache: Path) -> None:
    service = NluService(cache_dir=nlu_cache)  # models already cached by the session fixture
    assert service._models == {}
    parse = await service.parse("hello", "de")
    assert list(service._models) == ["de"]
    assert parse["intent"]["name"] == "greet"
    assert service.parse_embedded("danke", "de")["intent"]["name"] == "thanks"
    assert list(service._models) == ["de"]
    await service.close()


async def test_understand_gives_the_intent_the_flows_act_on(nlu_service: NluService) -> None:
    assert (await nlu_service.understand("please call me back", "en")).flow_intent == "request_callback"
    assert (await nlu_service.understand("ich möchte meine daten löschen", "de")).flow_intent == "delete_data"
    quiet = await nlu_service.understand("not afraid today", "en")
    assert quiet.danger is None
    assert what_the_flows_do(quiet.flow_intent, "en") == {"says": ["fallback.didnt_get"], "effects": []}


def test_unknown_locale_uses_english(nlu_service: NluService, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        parse = nlu_service.parse_embedded("hello", "fr")
    assert parse["intent"]["name"] == "greet"
    assert "unsupported locale" in caplog.text


async def test_rasa_url_in_the_environment_switches_evaluate_and_parse_to_rasa(
    fake_rasa: FakeRasa, nlu_cache: Path, tmp_path: Path
) -> None:
    """Through `liaison nlu`: RASA_URL is read by the settings (bot/settings.py), the only reader."""
    from click.testing import CliRunner

    from liaison.cli import cli

    test_file = tmp_path / "test_nlu.yml"
    test_file.write_text('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - hiya\n    - evening all\n',
                         encoding="utf-8")
    env = {"RASA_URL": fake_rasa.url}
    base = ["nlu", "--cache-dir", str(nlu_cache)]
    evaluated = await asyncio.to_thread(
        CliRunner().invoke, cli, [*base, "evaluate", str(test_file), "--locale", "en", "--json"], env=env)
    assert evaluated.exit_code == 0, evaluated.output
    assert json.loads(evaluated.output)["backend"] == "rasa"
    assert [body["text"] for _, body in fake_rasa.requests] == ["hiya", "evening all"]

    parsed = await asyncio.to_thread(CliRunner().invoke, cli, [*base, "parse", "hiya"], env=env)
    assert parsed.exit_code == 0, parsed.output
    assert json.loads(parsed.output)["intent"] == {"name": "greet", "confidence": 0.9871}
    assert len(fake_rasa.requests) == 3

    embedded = await asyncio.to_thread(
        CliRunner().invoke, cli,
        [*base, "evaluate", str(test_file), "--locale", "en", "--json", "--embedded"], env=env)
    assert json.loads(embedded.output)["backend"] == "embedded"
    assert len(fake_rasa.requests) == 3


async def test_the_service_waits_for_rasa_no_longer_than_rasa_timeout(
    fake_rasa: FakeRasa, nlu_cache: Path, keyring: KeyRing, nlu_service: NluService, tmp_path: Path,
) -> None:
    """RASA_TIMEOUT is documented (deploy/env.example) and was read by no code the service ran."""
    from liaison.service import create_service

    fake_rasa.mode = "slow"  # answers after a second: within the 2 s default, not within 0.3 s
    settings = load_settings(LIAISON_ENV="test", DATABASE_URL=f"sqlite:///{tmp_path / 'liaison.db'}",
                             LIAISON_KEY_FILE=keyring.path, LIAISON_SIMULATOR=True, NLU_CACHE_DIR=nlu_cache,
                             RASA_URL=fake_rasa.url, RASA_TIMEOUT=0.3)
    svc = create_service(settings, keyring=keyring)
    svc.nlu._models.update(nlu_service._models)  # skip the unpickle: same data, same cache
    try:
        parse = await svc.nlu.parse("evening, hi", "en")
    finally:
        await svc.stop()
    assert fake_rasa.requests, "Rasa was asked first"
    assert "text_tokens" not in parse  # the embedded classifier answered: Rasa was too slow


def test_liaison_nlu_train_fills_the_cache_the_service_reads_from_its_dotenv(
    nlu_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """NLU_CACHE_DIR in `.env` moves the service's cache (Settings); `liaison nlu train` followed it only when
    set in the shell, so on a deployment configured by `.env` it trained where the service never looked."""
    from click.testing import CliRunner

    from liaison.cli import cli

    (tmp_path / ".env").write_text(f"NLU_CACHE_DIR={nlu_cache}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NLU_CACHE_DIR", raising=False)
    trained = CliRunner().invoke(cli, ["nlu", "train", "--locale", "en"])
    assert trained.exit_code == 0, trained.output
    assert trained.output.startswith("en: ") and "loaded from cache" in trained.output
    assert f"(cache: {nlu_cache})" in trained.output
    assert not (tmp_path / "var").exists()
