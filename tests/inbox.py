"""An inbox with its worker running, for tests that POST webhooks and read the replies."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from bot.inbox import Inbox
from handlers.ports import Clock
from storage.db import Database


@asynccontextmanager
async def running_inbox(
    db: Database, clock: Clock, *, limit: int = 10_000, lease: float = 30.0
) -> AsyncIterator[Inbox]:
    """An inbox whose worker runs until the block ends; what was stored is handled by then."""
    inbox = Inbox(db, clock, limit=limit, lease=timedelta(seconds=lease))
    stop = asyncio.Event()
    worker = asyncio.create_task(inbox.run(stop))
    try:
        yield inbox
        async with asyncio.timeout(30):
            await inbox.settled()
    finally:
        stop.set()
        await worker
