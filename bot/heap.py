"""A server's start-up objects out of the garbage collector's sight.

Modules, pydantic schemas, SQLAlchemy mappers and the NLU models live as long as the `serve`
process, yet every full collection walked all of them again: pauses of 90-135 ms of the event loop,
measured, which were the p99 of inbound latency. Once start-up is done they are collected once and
frozen (`gc.freeze`): later full collections look only at what was made since.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Sequence
from typing import Any


async def freeze_after(start_up: Sequence[asyncio.Task[Any]]) -> None:
    """Wait for the start-up tasks (whatever their outcome), then collect and freeze the heap."""
    await asyncio.gather(*start_up, return_exceptions=True)
    gc.collect()
    gc.freeze()
