"""The inbox: every webhook update is a row here before its 200, until a worker handled it.

Re-delivery of a stored update is a no-op (unique channel + update key). Workers in any process
claim whole residents: the oldest updates of each resident whose first update is free, so one
resident's updates are handled one at a time and in order, whichever process takes them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.engine import make_url

from storage import models
from storage.db import Database
from storage.sql import dialect_insert

Inbox = models.InboxItem


def inbox_database_url(url: str) -> str:
    """Where the inbox lives: with SQLite a file of its own next to the database, so that
    storing a webhook update never waits behind the engine's writes (SQLite has one writer per
    file); with PostgreSQL the same database, whose row locks let both go at once."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return url
    path = Path(parsed.database)
    return parsed.set(
        database=str(path.with_name(f"{path.stem}-inbox{path.suffix}"))
    ).render_as_string(hide_password=False)


@dataclass(frozen=True)
class NewInboxItem:
    """An update as a webhook received it."""

    channel: str
    update_key: str
    chat_key: str
    payload: dict[str, Any]
    received_at: datetime


@dataclass(frozen=True)
class ClaimedItem:
    """An update a worker now holds, oldest first within its resident."""

    id: int
    channel: str
    update_key: str
    chat_key: str
    payload: dict[str, Any]
    received_at: datetime
    attempts: int


async def create_inbox_file(db: Database) -> None:
    """The inbox table in a database of its own (SQLite's inbox file), step by step and each
    step skipped when done: SQLite DDL here is not transactional, and a process killed midway
    through creating it must be able to start again."""
    async with db.engine.begin() as conn:
        await conn.run_sync(lambda sync: Inbox.__table__.create(sync, checkfirst=True))
        for index in Inbox.__table__.indexes:
            await conn.run_sync(lambda sync, index=index: index.create(sync, checkfirst=True))


class SqlInbox:
    """The inbox over one database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, items: Sequence[NewInboxItem]) -> None:
        """Store updates in one transaction; one already stored (a re-delivery) is skipped."""
        if not items:
            return
        async with self._db.unit_of_work() as uow:
            stmt = dialect_insert(uow.session, Inbox).on_conflict_do_nothing(
                index_elements=["channel", "update_key"]
            )
            await uow.session.execute(
                stmt,
                [
                    {
                        "channel": item.channel,
                        "update_key": item.update_key,
                        "chat_key": item.chat_key,
                        "payload": json.dumps(item.payload, ensure_ascii=False),
                        "received_at": item.received_at,
                        "attempts": 0,
                    }
                    for item in items
                ],
            )
            await uow.commit()

    async def pending(self) -> int:
        """Updates stored and not handled yet."""
        async with self._db.engine.connect() as conn:
            return int(await conn.scalar(select(func.count()).select_from(Inbox)) or 0)

    async def claim(
        self, worker: str, now: datetime, lease: timedelta, *, chats: int, per_chat: int
    ) -> list[ClaimedItem]:
        """Take up to `per_chat` oldest updates of up to `chats` residents whose oldest update
        no worker holds (or whose holder's lease ran out); in id order."""
        free = or_(Inbox.claimed_until.is_(None), Inbox.claimed_until < now)
        heads = select(func.min(Inbox.id)).group_by(Inbox.chat_key).scalar_subquery()
        async with self._db.unit_of_work() as uow:
            rows = await uow.session.execute(
                select(Inbox.chat_key, Inbox.id)
                .where(Inbox.id.in_(heads), free)
                .order_by(Inbox.id)
                .limit(chats)
            )
            head_of: dict[str, int] = {chat: head for chat, head in rows}
            if not head_of:
                return []
            ranked = (
                select(
                    Inbox.id,
                    func.row_number()
                    .over(partition_by=Inbox.chat_key, order_by=Inbox.id)
                    .label("rank"),
                )
                .where(Inbox.chat_key.in_(head_of))
                .subquery()
            )
            firsts = select(ranked.c.id).where(ranked.c.rank <= per_chat)
            claimed = await uow.session.execute(
                update(Inbox)
                .where(Inbox.id.in_(firsts), free)
                .values(claimed_by=worker, claimed_until=now + lease, attempts=Inbox.attempts + 1)
                .returning(
                    Inbox.id,
                    Inbox.channel,
                    Inbox.update_key,
                    Inbox.chat_key,
                    Inbox.payload,
                    Inbox.received_at,
                    Inbox.attempts,
                )
            )
            items = [
                ClaimedItem(
                    id=row.id,
                    channel=row.channel,
                    update_key=row.update_key,
                    chat_key=row.chat_key,
                    payload=json.loads(row.payload),
                    received_at=row.received_at,
                    attempts=row.attempts,
                )
                for row in claimed
            ]
            # Another worker took a resident's first update between our two statements: hand
            # back what we got of that resident, or its updates would run out of order.
            taken = {item.id for item in items}
            lost = {chat for chat, head in head_of.items() if head not in taken}
            if lost:
                await uow.session.execute(
                    _unclaim([item.id for item in items if item.chat_key in lost])
                )
                items = [item for item in items if item.chat_key not in lost]
            await uow.commit()
        return sorted(items, key=lambda item: item.id)

    async def done(self, item_ids: Sequence[int]) -> None:
        """Forget handled updates (their effects are in the engine's own tables)."""
        if not item_ids:
            return
        async with self._db.unit_of_work() as uow:
            await uow.session.execute(delete(Inbox).where(Inbox.id.in_(item_ids)))
            await uow.commit()

    async def retry_at(self, item_id: int, at: datetime) -> None:
        """Hold a failed update (and so its resident's later ones) until `at`."""
        async with self._db.unit_of_work() as uow:
            await uow.session.execute(
                update(Inbox).where(Inbox.id == item_id).values(claimed_until=at)
            )
            await uow.commit()

    async def release(self, item_ids: Sequence[int]) -> None:
        """Give back updates not started (a failure before them, or shutdown)."""
        if not item_ids:
            return
        async with self._db.unit_of_work() as uow:
            await uow.session.execute(_unclaim(item_ids))
            await uow.commit()


def _unclaim(item_ids: Sequence[int]) -> Any:
    """Hand updates back untouched: free, and their claim not counted as an attempt."""
    return (
        update(Inbox)
        .where(Inbox.id.in_(item_ids))
        .values(claimed_by=None, claimed_until=None, attempts=Inbox.attempts - 1)
    )
