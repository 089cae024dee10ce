"""Nothing lost, nothing twice: 10,000 webhook updates while the server is killed with SIGKILL.

500 residents each send 20 Telegram updates (consent, then three whole submissions: the
script of `ykien bench intake`) to a real
`ykien serve`; every update is re-sent until it gets its 200, as Telegram does. Meanwhile the
serving process is killed with SIGKILL at random moments: on SQLite the one process (this test
starts it again), on PostgreSQL a worker of `serve --workers 2` (the supervisor restarts it).

Afterwards every update was handled exactly once (one claim per update id, each submission
stored once) and got at most one reply (no resident got more messages than one who was never
interrupted).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import select

from bot.bench_intake import SUBMISSIONS, resident_updates, submission_text
from config.settings import Settings
from storage import models
from storage.db import Database
from storage.inbox import SqlInbox, inbox_database_url
from tests.e2e.test_cli import TOKEN, WEBHOOK_SECRET, Process, free_port, make_cli
from tests.fakes.telegram_server import FakeTelegram

RESIDENTS = int(os.environ.get("YKIEN_TEST_CRASH_RESIDENTS", "500"))
# Kills stop once this many happened; the senders then finish against a steady server.
MAX_KILLS = 5
DRAIN_TIMEOUT = 600.0


class Server:
    """`ykien serve` (one process or a supervisor and its workers) that can be SIGKILLed."""

    def __init__(self, cli: Any, workers: int) -> None:
        self.cli = cli
        self.workers = workers
        self.process: Process | None = None
        self.kills = 0

    async def start(self) -> None:
        args = ["serve"] if self.workers == 1 else ["serve", "--workers", str(self.workers)]
        self.process = Process(self.cli, *args)
        await self.process.start()

    def worker_pids(self) -> list[int]:
        """The serving processes: the workers of a supervisor, else the process itself."""
        assert self.process is not None and self.process.proc is not None
        pid = self.process.proc.pid
        if self.workers == 1:
            return [pid]
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return [int(child) for child in children]

    async def kill_one(self) -> None:
        """SIGKILL a serving process; a lone one is started again at once."""
        pids = self.worker_pids()
        if not pids:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(random.choice(pids), signal.SIGKILL)
        self.kills += 1
        if self.workers == 1:
            assert self.process is not None and self.process.proc is not None
            await self.process.proc.wait()
            await self.start()

    async def stop(self) -> None:
        """SIGKILL the server; workers left behind stop on their own (bot.workers)."""
        if self.process is not None:
            workers: list[int] = []
            if self.workers > 1:
                with contextlib.suppress(OSError):  # the supervisor may be gone already
                    workers = self.worker_pids()
            await self.process.kill()
            for pid in workers:  # and, not to wait for them, at once
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


async def send_all(session: aiohttp.ClientSession, url: str, updates: list[dict[str, Any]]) -> int:
    """Deliver each update until it is acknowledged, in order; returns the retries needed."""
    retries = 0
    headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
    for update in updates:
        while True:
            try:
                async with session.post(url, json=update, headers=headers) as response:
                    if response.status == 200:
                        break
            except (aiohttp.ClientError, TimeoutError):
                pass
            retries += 1
            await asyncio.sleep(0.2)
    return retries


async def waiting(db: Database) -> int:
    """Updates in the inbox (with SQLite, a file of its own: storage.inbox)."""
    inbox_db = Database(inbox_database_url(db.url))
    try:
        return await SqlInbox(inbox_db).pending()
    finally:
        await inbox_db.dispose()


async def test_ten_thousand_updates_survive_sigkill(
    tmp_path: Path, nlp_settings: Settings, db: Database
) -> None:
    workers = 1 if db.is_sqlite else 2
    port = free_port()
    cli = make_cli(tmp_path, nlp_settings.model_dir).with_env(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET,
        YKIEN_DATABASE_URL=db.url,
        YKIEN_HTTP_HOST="127.0.0.1",
        YKIEN_HTTP_PORT=str(port),
        YKIEN_RATE_LIMIT="0",  # 20 updates a minute each: this test is about delivery
        YKIEN_SCHEDULER="false",
        YKIEN_INBOX_LEASE_SECONDS="2",  # a killed worker's updates are taken over soon
        TELEGRAM_SEND_RATE="1000",  # the fake Bot API has no 30-a-second limit
    )
    scripts = [resident_updates(resident) for resident in range(1, RESIDENTS + 1)]
    async with FakeTelegram(TOKEN) as tg:
        cli = cli.with_env(TELEGRAM_API_BASE_URL=tg.root_url)
        server = Server(cli, workers)
        await server.start()
        url = f"http://127.0.0.1:{port}/webhooks/telegram"
        timeout = aiohttp.ClientTimeout(total=10)
        connector = aiohttp.TCPConnector(limit=64)
        try:
            async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
                senders = asyncio.gather(*(send_all(session, url, s) for s in scripts))
                while not senders.done() and server.kills < MAX_KILLS:
                    await asyncio.wait([senders], timeout=random.uniform(1.0, 4.0))
                    if not senders.done():
                        await server.kill_one()
                retries = sum(await senders)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + DRAIN_TIMEOUT
            while await waiting(db) > 0:
                assert loop.time() < deadline, "the inbox did not drain"
                await asyncio.sleep(0.5)
        finally:
            await server.stop()
        replies = Counter(str(m["chat_id"]) for m in tg.sent)

    assert server.kills >= 1 and retries > 0  # the deliveries did meet dead servers
    async with db.engine.connect() as conn:
        claimed = (await conn.execute(select(models.InboundUpdate.update_id))).scalars().all()
        texts = (await conn.execute(select(models.Submission.text))).scalars().all()
    expected_ids = {str(update["update_id"]) for s in scripts for update in s}
    assert len(expected_ids) == RESIDENTS * 20
    assert sorted(claimed) == sorted(expected_ids)  # every update handled, and once
    expected_texts = [
        submission_text(r, n) for r in range(1, RESIDENTS + 1) for n in range(SUBMISSIONS)
    ]
    assert sorted(texts) == sorted(expected_texts)  # every submission stored, and once
    # At most one reply per update: nobody got more than the residents never interrupted.
    usual = Counter(replies.values()).most_common(1)[0][0]
    assert usual >= len(scripts[0])  # every update is answered when nothing goes wrong
    assert max(replies.values()) == usual, Counter(replies.values())
    assert len(replies) == RESIDENTS
