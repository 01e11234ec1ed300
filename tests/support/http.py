"""Run an aiohttp application on a free loopback port for the length of a test."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web


@asynccontextmanager
async def serve_app(app: web.Application, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
    """Yields the base URL (http://127.0.0.1:PORT) while the app serves."""
    # a request still running at the end of a test is given 5 s, then cancelled (not aiohttp's 60 s)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=5)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    server = site._server
    assert server is not None and server.sockets
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{port}"
    finally:
        try:
            await asyncio.wait_for(runner.cleanup(), timeout=60)
        except TimeoutError:
            raise AssertionError("the app did not stop within 60 s; its tasks:\n" + _task_stacks()) from None


def _task_stacks() -> str:
    """Where every task of the loop is waiting: what a stop that hangs is waiting for."""
    out = io.StringIO()
    for task in asyncio.all_tasks():
        task.print_stack(limit=8, file=out)
    return out.getvalue()
