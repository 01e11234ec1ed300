"""The evaluator's console page of the report, over HTTP: one self-contained page with every chart
inlined (the report quotes its image sources with '), the withheld mark and no pseudonym."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.clock import ManualClock
from bot.service import Service
from evaluation.figures import CHARTS
from tests.evaluation.biased_cohort import make_cohort, write
from tests.support.clock import TEST_NOW
from tests.support.console import ConsoleClient, console_service, make_staff
from tests.support.http import serve_app


@pytest.fixture
async def console(settings_env, keyring) -> AsyncIterator[tuple[Service, str]]:
    svc = console_service(settings_env, keyring, ManualClock(TEST_NOW))
    async with serve_app(svc.web_app()) as base:
        yield svc, base
    await svc.stop()


async def test_the_console_report_inlines_every_chart_and_shows_withheld_counts(console) -> None:
    svc, base = console
    women = make_cohort(n=200, seed=3)
    await write(svc.db, women)
    eva = ConsoleClient(base)
    try:
        assert await eva.sign_in(await make_staff(svc, "eva", ["evaluator"]), svc.clock()) == 303
        status, page, _l = await eva.get("/console/evaluation/report.html")
    finally:
        await eva.close()
    assert status == 200
    assert page.count('src="data:image/png;base64,') == len(CHARTS)
    assert not any(f"src='{name}'" in page for name in CHARTS.values())
    assert "withheld" in page and "Naive contrast" in page
    assert not any(w.pseudonym in page for w in women)
