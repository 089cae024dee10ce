"""Scheduled messages and the one-scheduler lock.

Every scheduled send is first a row in `outbox` under a unique key (recipient, what, period):
enqueueing the same key again is a no-op, so neither a restart nor a second scheduler sends twice,
and a row not yet sent is found again after a crash, so nothing is skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import models
from storage.db import Database
from storage.sql import SqlOutboxQueue

Outbox = models.OutboxMessage


@dataclass(frozen=True)
class OutboxRow:
    """A message waiting to be sent."""

    id: int
    key: str
    channel: str
    chat_id: str
    text: str
    attempts: int
    # Paths of files sent after the text, in order.
    files: tuple[str, ...] = field(default=())


class OutboxStore:
    """The outbox over one database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def enqueue(
        self,
        *,
        key: str,
        channel: str,
        chat_id: str,
        text: str,
        due_at: datetime,
        now: datetime,
        files: Sequence[str] = (),
    ) -> bool:
        """Add a message unless its key is already there; True when it was added."""
        async with self._db.unit_of_work() as uow:
            added = await SqlOutboxQueue(uow.session).enqueue(
                key=key, channel=channel, chat_id=chat_id, text=text, due_at=due_at, now=now,
                files=files,
            )  # fmt: skip
            await uow.commit()
            return added

    async def has(self, key: str) -> bool:
        """Whether a message with this key was ever enqueued."""
        async with self._db.engine.connect() as conn:
            return (await conn.scalar(select(Outbox.id).where(Outbox.key == key))) is not None

    async def due(
        self, now: datetime, *, max_attempts: int, after_id: int = 0, limit: int = 500
    ) -> list[OutboxRow]:
        """Unsent messages due by `now` with attempts left, by id, after `after_id`."""
        stmt = (
            select(
                Outbox.id,
                Outbox.key,
                Outbox.channel,
                Outbox.chat_id,
                Outbox.text,
                Outbox.attempts,
                Outbox.files,
            )
            .where(
                Outbox.sent_at.is_(None),
                Outbox.due_at <= now,
                Outbox.attempts < max_attempts,
                Outbox.id > after_id,
            )
            .order_by(Outbox.id)
            .limit(limit)
        )
        async with self._db.engine.connect() as conn:
            return [
                OutboxRow(*row[:6], files=tuple(str(f) for f in row[6] or ()))
                for row in await conn.execute(stmt)
            ]

    async def claim(self, message_id: int, now: datetime, lease: timedelta) -> bool:
        """Take a message for sending; False when it was sent or another sender holds it.

        The claim is one atomic UPDATE, so two senders never both send it; a claim older
        than `lease` (its sender died mid-send) may be taken over. Each claim counts as an
        attempt, so a message that keeps failing is given up.
        """
        async with self._db.unit_of_work() as uow:
            result = await uow.session.execute(
                update(Outbox)
                .where(
                    Outbox.id == message_id,
                    Outbox.sent_at.is_(None),
                    or_(Outbox.attempted_at.is_(None), Outbox.attempted_at < now - lease),
                )
                .values(attempts=Outbox.attempts + 1, attempted_at=now)
            )
            await uow.commit()
            return bool(getattr(result, "rowcount", 0))

    async def sent(self, message_id: int, now: datetime, *, error: str | None = None) -> None:
        """Record the delivery; `error` says what part of it was lost (a file), if any."""
        await self._update(
            message_id, sent_at=now, last_error=error[:200] if error is not None else None
        )

    async def failed(self, message_id: int, error: str) -> None:
        """Record why the attempt failed (a short, text-free description) and free the claim."""
        await self._update(message_id, last_error=error[:200], attempted_at=None)

    async def _update(self, message_id: int, **values: object) -> None:
        async with self._db.unit_of_work() as uow:
            await uow.session.execute(
                update(Outbox).where(Outbox.id == message_id).values(**values)
            )
            await uow.commit()


class SchedulerLock:
    """Elects the one process that runs the scheduler.

    PostgreSQL: a session-level advisory lock held on a connection kept open; if the process
    dies, the server releases it and a standby takes over. SQLite serves one process: always
    granted. The connection must be direct (not behind PgBouncer transaction pooling).
    """

    KEY = 0x796B69656E  # "ykien"

    def __init__(self, db: Database) -> None:
        self._db = db
        self._conn: AsyncConnection | None = None

    @property
    def held(self) -> bool:
        """Whether this process holds the lock."""
        return self._db.is_sqlite or self._conn is not None

    async def try_acquire(self) -> bool:
        """Take the lock if it is free; True when this process holds it (now or already)."""
        if self.held:
            return True
        conn = await self._db.engine.connect()
        try:
            got = await conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.KEY})
            await conn.commit()
        except BaseException:
            await conn.close()
            raise
        if got:
            self._conn = conn
            return True
        await conn.close()
        return False

    async def still_held(self) -> bool:
        """Check the lock's connection is alive (a lost connection means a lost lock)."""
        if self._db.is_sqlite:
            return True
        if self._conn is None:
            return False
        try:
            await self._conn.execute(text("SELECT 1"))
            await self._conn.commit()
            return True
        except Exception:
            await self.release()
            return False

    async def release(self) -> None:
        """Give the lock up (closing its connection releases it on the server)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.KEY})
                await conn.commit()
            except Exception:  # the connection is gone: so is the lock
                pass
            finally:
                await conn.close()
