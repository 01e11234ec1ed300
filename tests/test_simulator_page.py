"""The simulator's chat page: served as one self-contained HTML file that never parses message text as HTML."""

from __future__ import annotations

import re

import aiohttp

from bot.channels.simulator.web import PAGE
from tests.support.http import serve_app


async def test_the_chat_page_is_served_as_html_with_a_message_input(service) -> None:
    async with serve_app(service.web_app()) as base, aiohttp.ClientSession() as http:
        resp = await http.get(f"{base}/simulator")
        body = await resp.text()
    assert resp.status == 200
    assert resp.content_type == "text/html"
    assert re.search(r'<input[^>]*id="text"', body)  # the message box
    assert '<label for="text"' in body  # ...with a label
    assert re.search(r'<input[^>]*id="user"', body)  # which simulated person
    assert '<label for="user"' in body
    assert "/simulator/api/messages" in body


def test_message_text_reaches_the_page_only_through_text_content() -> None:
    page = PAGE.read_text(encoding="utf-8")
    assert "textContent" in page
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in page, f"the page must not use {sink}"


def test_the_page_loads_nothing_from_elsewhere() -> None:
    page = PAGE.read_text(encoding="utf-8")
    assert not re.search(r'<(script|link|img|iframe)[^>]+(src|href)=', page)
    assert "@import" not in page
    # the only absolute URLs allowed are XML namespaces (none today) - no CDN, no fonts
    assert not re.search(r"https?://(?!www\.w3\.org/)", page)


def test_the_phone_frame_names_the_contact_neutrally() -> None:
    page = PAGE.read_text(encoding="utf-8")
    frame = page[page.index('class="phone"'):page.index("</section>", page.index('class="phone"'))]
    assert '<h2 id="chat-title">Chat</h2>' in frame
    for word in ("liaison", "simulator", "abuse", "violence", "programme", "safety", "support"):
        assert word not in frame.lower()
