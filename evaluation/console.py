"""The evaluators' console pages: the report (charts inlined) and the export, never an identity.

Registered by the composition root (liaison/service.py) beside console's own pages, so the console
does not reach up into evaluation; their rows in console/permissions.py say who may open them.

The report (matplotlib, scipy) and the export are imported when their page is asked for, not when the
service starts: `serve` stays small for as long as nobody opens them (tests/liaison/test_light_imports.py)."""

from __future__ import annotations

import asyncio
import base64
import io
import re
import tempfile
import zipfile
from pathlib import Path

from aiohttp import web

from console.headers import CSP, inline_style_hashes, policy
from console.pages import render, svc
from console.texts import _
from evaluation.data import count_records


async def evaluation_page(request: web.Request) -> web.StreamResponse:
    count = await count_records(svc(request).db)
    return render(request, "evaluation.html", title=_("Evaluation"), waves=[(_("all waves"), count)] if count else [])


async def evaluation_report(request: web.Request) -> web.StreamResponse:
    """The existing report, with its charts inlined so it is one self-contained page."""
    from evaluation.report import report  # matplotlib and scipy: only when the page is opened

    service = svc(request)
    with tempfile.TemporaryDirectory() as tmp:
        index = await report(service.db, service.keyring, Path(tmp), now=service.clock())
        html = index.read_text(encoding="utf-8")

        def inline(m: re.Match[str]) -> str:
            png = Path(tmp) / m.group(2)
            if not png.is_file():
                return m.group(0)
            return 'src="data:image/png;base64,' + base64.b64encode(png.read_bytes()).decode() + '"'

        html = re.sub(r"""src=(['"])([\w.-]+\.png)\1""", inline, html)  # either quote
    # one self-contained page: its own <style> is allowed by its hash, nothing else inline
    return web.Response(text=html, content_type="text/html", headers={
        "Cache-Control": "no-store", CSP: policy(inline_style_hashes(html))})


async def evaluation_export(request: web.Request) -> web.StreamResponse:
    from evaluation.export import export

    service = svc(request)
    buf = io.BytesIO()
    with tempfile.TemporaryDirectory() as tmp:
        await export(service.db, service.keyring, Path(tmp), progress=False, now=service.clock())

        def pack() -> None:
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
                for f in sorted(Path(tmp).iterdir()):
                    z.write(f, f.name)

        await asyncio.to_thread(pack)
    return web.Response(body=buf.getvalue(), content_type="application/zip",
                        headers={"Content-Disposition": 'attachment; filename="evaluation-export.zip"',
                                 "Cache-Control": "no-store"})


HANDLERS = {
    ("GET", "/console/evaluation"): evaluation_page,
    ("GET", "/console/evaluation/export.zip"): evaluation_export,
    ("GET", "/console/evaluation/report.html"): evaluation_report,
}
