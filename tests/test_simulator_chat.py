"""A person chatting with the bot through the simulator API."""

from __future__ import annotations

import aiohttp

from tests.support.http import serve_app


async def test_a_stranger_gets_one_neutral_reply_that_reveals_nothing(service) -> None:
    async with serve_app(service.web_app()) as base, aiohttp.ClientSession() as http:
        resp = await http.post(f"{base}/simulator/api/messages", json={"user": "s1", "text": "hello?"})
        data = await resp.json()
    assert resp.status == 200
    bot = [m for m in data["messages"] if m["from"] == "bot"]
    assert len(bot) == 1
    lowered = bot[0]["text"].lower()
    for word in ("abuse", "violence", "programme", "safety", "support", "liaison"):
        assert word not in lowered


async def test_a_replayed_message_is_answered_once(service) -> None:
    async with serve_app(service.web_app()) as base, aiohttp.ClientSession() as http:
        for _ in range(3):
            resp = await http.post(f"{base}/simulator/api/messages",
                                   json={"user": "s1", "text": "hi", "id": "same-delivery"})
            data = await resp.json()
    assert [m["from"] for m in data["messages"]] == ["user", "bot"]
    assert data["duplicate"] is True


async def test_bad_simulator_requests_get_a_clear_400(service) -> None:
    async with serve_app(service.web_app()) as base, aiohttp.ClientSession() as http:
        for body in ({"text": "x"}, {"user": "u"}, {"user": "u", "text": "a", "button": "b"}, [1, 2]):
            resp = await http.post(f"{base}/simulator/api/messages", json=body)
            assert resp.status == 400
            assert "error" in await resp.json()
        resp = await http.post(f"{base}/simulator/api/messages", data="not json")
        assert resp.status == 400


async def test_healthz_reports_database_and_channels(service) -> None:
    async with serve_app(service.web_app()) as base, aiohttp.ClientSession() as http:
        resp = await http.get(f"{base}/healthz")
        data = await resp.json()
    assert resp.status == 200
    assert data["database"]["ok"] is True
    assert data["channels"]["simulator"]["ok"] is True
