"""`ykien bench broadcast`: a digest to thousands of officers through Telegram's rate limit.

A local stand-in for the Bot API (aiohttp on 127.0.0.1) answers `sendMessage` and enforces
Telegram's 30 messages per second per bot with 429 "Too Many Requests" and `retry_after`. The
messages go the production way: queued in the outbox (a throw-away SQLite database) under
unique keys, drained by one scheduler sweep through python-telegram-bot with its
`AIORateLimiter`. Reported: messages per second, and how many were lost or duplicated.
"""

from __future__ import annotations

import asyncio
import collections
import json
import tempfile
import time
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from bot.channels.telegram_adapter import make_bot
from bot.scheduler import Scheduler
from storage.db import Database

TOKEN = "123456:BENCH-BROADCAST"
LIMIT_PER_SECOND = 30


class RateLimitedBotApi:
    """Just enough Bot API: getMe and sendMessage, at most 30 messages in any 1-second window."""

    def __init__(self) -> None:
        self.delivered: collections.Counter[str] = collections.Counter()
        self.refused = 0
        self._window: collections.deque[float] = collections.deque()
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Serve on a free port of 127.0.0.1."""
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"].lower()
        if method == "getme":
            me = {"id": 123456, "is_bot": True, "first_name": "bench", "username": "bench_bot"}
            return web.json_response({"ok": True, "result": me})
        if method != "sendmessage":
            return web.json_response({"ok": True, "result": True})
        now = time.monotonic()
        while self._window and now - self._window[0] >= 1.0:
            self._window.popleft()
        if len(self._window) >= LIMIT_PER_SECOND:
            self.refused += 1
            body = {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 1",
                "parameters": {"retry_after": 1},
            }
            return web.json_response(body, status=429)
        self._window.append(now)
        form = await request.post()
        chat = str(form.get("chat_id", ""))
        self.delivered[chat] += 1
        message = {
            "message_id": sum(self.delivered.values()),
            "date": int(time.time()),
            "chat": {"id": int(chat), "type": "private"},
            "text": str(form.get("text", "")),
        }
        return web.json_response({"ok": True, "result": message})


async def run_broadcast_bench(messages: int) -> dict[str, Any]:
    """Queue `messages` digests to distinct chats and send them in one sweep; report the rate."""
    api = RateLimitedBotApi()
    await api.start()
    bot = make_bot(TOKEN, api.url)
    with tempfile.TemporaryDirectory() as scratch:
        db = Database(f"sqlite+aiosqlite:///{scratch}/broadcast.sqlite3")
        try:
            await db.upgrade()
            await bot.initialize()

            async def send(chat: str, text: str) -> None:
                await bot.send_message(chat, text)

            now = datetime.now(UTC)
            scheduler = Scheduler(db, clock=lambda: now, planners=[], senders={"telegram": send})
            for number in range(messages):
                await scheduler.outbox.enqueue(
                    key=f"digest:telegram:{900_000 + number}:2026-10",
                    channel="telegram",
                    chat_id=str(900_000 + number),
                    text="Báo cáo tổng hợp ý kiến, kiến nghị tháng 10/2026 ...",
                    due_at=now,
                    now=now,
                )
            began = time.perf_counter()
            result = await scheduler.sweep()
            seconds = time.perf_counter() - began
        finally:
            await bot.shutdown()
            await db.dispose()
            await api.stop()
    unique = len(api.delivered)
    return {
        "messages": messages,
        "seconds": round(seconds, 1),
        "messages_per_second": round(unique / seconds, 2) if seconds else None,
        "sent": result["sent"],
        "failed": result["failed"],
        "lost": messages - unique,
        "duplicated": sum(api.delivered.values()) - unique,
        "answered_429": api.refused,
    }


def main_sync(messages: int) -> str:
    """Run the benchmark; its figures as JSON."""
    return json.dumps(asyncio.run(run_broadcast_bench(messages)), indent=2)
