"""The inbox on its own: per-resident order across workers, re-delivery, leases, retries.

Runs on SQLite and on PostgreSQL (the `db` fixture). The channel consumers here are recorders,
so what is tested is the inbox's promise: every stored update is handled, one resident's
updates one at a time and in order, whichever worker (process) holds them.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect

from bot.inbox import MAX_ATTEMPTS, Inbox
from storage import models
from storage.db import Database
from storage.inbox import create_inbox_file
from tests.rows import count_rows

CHANNEL = "telegram"


class Recorder:
    """A consumer that notes what it handled and checks no resident runs twice at once."""

    def __init__(self, name: str, log: list[tuple[str, str, int]], busy: set[str]) -> None:
        self.name = name
        self.log = log
        self.busy = busy

    async def __call__(self, payload: dict[str, Any], _received_at: datetime) -> None:
        chat = payload["chat"]
        assert chat not in self.busy, f"{chat} handled by two workers at once"
        self.busy.add(chat)
        try:
            await asyncio.sleep(random.random() / 500)
        finally:
            self.busy.discard(chat)
        self.log.append((self.name, chat, payload["seq"]))


def clock() -> datetime:
    return datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


@asynccontextmanager
async def running(*inboxes: Inbox) -> AsyncIterator[None]:
    """Run the inboxes' workers until the block ends."""
    stop = asyncio.Event()
    workers = [asyncio.create_task(inbox.run(stop)) for inbox in inboxes]
    try:
        yield
    finally:
        stop.set()
        await asyncio.gather(*workers)


async def accept(inbox: Inbox, chat: str, seq: int) -> bool:
    return await inbox.accept(CHANNEL, f"{chat}-{seq}", chat, {"chat": chat, "seq": seq})


async def test_two_workers_keep_each_residents_order_and_handle_everything_once(
    db: Database,
) -> None:
    log: list[tuple[str, str, int]] = []
    busy: set[str] = set()
    first, second = (Inbox(db, clock, worker=name) for name in ("w1", "w2"))
    for inbox in (first, second):
        inbox.consumer(CHANNEL, Recorder(inbox.worker, log, busy))
    chats = [f"r{number}" for number in range(12)]
    async with running(first, second):
        # Both processes take webhooks: each resident's updates arrive in order, on either.
        for seq in range(25):
            await asyncio.gather(
                *(accept(random.choice((first, second)), chat, seq) for chat in chats)
            )
        async with asyncio.timeout(60):
            await first.settled()
            await second.settled()
    assert sorted((chat, seq) for _, chat, seq in log) == sorted(
        (chat, seq) for chat in chats for seq in range(25)
    )
    for chat in chats:
        assert [seq for _, who, seq in log if who == chat] == list(range(25))
    assert {worker for worker, _, _ in log} == {"w1", "w2"}  # both did share the work
    assert await count_rows(db, "inbox") == 0


async def test_a_redelivered_update_is_stored_once(db: Database) -> None:
    inbox = Inbox(db, clock)
    results = await asyncio.gather(*(accept(inbox, "r1", 1) for _ in range(5)))
    assert results == [True] * 5  # each delivery is acknowledged ...
    assert await count_rows(db, "inbox") == 1  # ... and stored once


async def test_updates_of_a_dead_worker_are_taken_over_after_its_lease(db: Database) -> None:
    dead = Inbox(db, clock, worker="dead", lease=timedelta(seconds=1))
    for seq in range(3):
        await accept(dead, "r1", seq)
    claimed = await dead.store.claim("dead", datetime.now(UTC), dead.lease, chats=10, per_chat=10)
    assert [item.payload["seq"] for item in claimed] == [0, 1, 2]  # then it was killed

    log: list[tuple[str, str, int]] = []
    alive = Inbox(db, clock, worker="alive")
    alive.consumer(CHANNEL, Recorder("alive", log, set()))
    await accept(alive, "r1", 3)  # the resident writes again meanwhile: it waits its turn
    async with running(alive):
        await asyncio.sleep(0.5)
        assert log == []  # the lease still holds
        async with asyncio.timeout(10):
            await alive.settled()
    assert [seq for _, _, seq in log] == [0, 1, 2, 3]


async def test_a_failing_update_is_retried_then_given_up_and_the_next_goes_on(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    log: list[tuple[str, str, int]] = []
    attempts: list[int] = []
    record = Recorder("w", log, set())

    async def poisoned(payload: dict[str, Any], received_at: datetime) -> None:
        if payload["seq"] == 0:
            attempts.append(payload["seq"])
            raise RuntimeError("cannot handle this one")
        await record(payload, received_at)

    inbox = Inbox(db, clock, retry_base=timedelta(milliseconds=10))
    inbox.consumer(CHANNEL, poisoned)
    await accept(inbox, "r1", 0)
    await accept(inbox, "r1", 1)
    await accept(inbox, "r2", 0)
    async with running(inbox):
        async with asyncio.timeout(10):
            await inbox.settled()
    assert len(attempts) == 2 * MAX_ATTEMPTS  # r1's and r2's first updates, each given up
    assert [(chat, seq) for _, chat, seq in log] == [("r1", 1)]  # held back until then
    assert "given up" in caplog.text
    assert await count_rows(db, "inbox") == 0


async def test_the_limit_refuses_and_counts_what_the_workers_handled(db: Database) -> None:
    inbox = Inbox(db, clock, limit=3)
    inbox.consumer(CHANNEL, Recorder("w", [], set()))
    assert [await accept(inbox, "r1", seq) for seq in range(5)] == [True] * 3 + [False] * 2
    assert await count_rows(db, "inbox") == 3
    async with running(inbox):
        async with asyncio.timeout(10):
            await inbox.settled()
    assert inbox.backlog == 0
    assert await accept(inbox, "r1", 3)


async def test_the_inbox_file_is_created_again_after_a_kill_midway(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'ykien-inbox.sqlite3'}")
    try:
        async with db.engine.begin() as conn:  # killed after the table, before its index
            await conn.run_sync(lambda sync: models.InboxItem.__table__.create(sync))
        await create_inbox_file(db)
        await create_inbox_file(db)  # and every later start is a no-op
        async with db.engine.connect() as conn:
            indexes = await conn.run_sync(lambda sync: inspect(sync).get_indexes("inbox"))
        assert [index["column_names"] for index in indexes] == [["chat_key", "id"]]
        assert await accept(Inbox(db, clock), "r1", 1)
    finally:
        await db.dispose()
