"""Scheduled messages and the one-scheduler lock.

Every scheduled send is first a row in `outbox` under a unique key (recipient, what, period):
enqueueing the same key again is a no-op, so neither a restart nor a second scheduler sends twice,
and a row not yet sent is found again after a crash, so nothing is skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import models
from storage.db import Database
from storage.records import OutboxRef
from storage.sql import ButtonRows, SqlOutboxQueue

Outbox = models.OutboxMessage
# Attempts recorded on a message given up: above any sender's maximum.
_NO_MORE_ATTEMPTS = 1_000


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
    # Rows of (label, payload) for channels with buttons.
    buttons: tuple[tuple[tuple[str, str], ...], ...] = field(default=())
    # The key of an earlier message this one replaces (storage.sql.SqlOutboxQueue.enqueue).
    edit_key: str | None = None


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
        buttons: ButtonRows = (),
        edit_key: str | None = None,
        subject: str | None = None,
    ) -> bool:
        """Add a message unless its key is already there; True when it was added."""
        async with self._db.unit_of_work() as uow:
            added = await SqlOutboxQueue(uow.session).enqueue(
                key=key, channel=channel, chat_id=chat_id, text=text, due_at=due_at, now=now,
                files=files, buttons=buttons, edit_key=edit_key, subject=subject,
            )  # fmt: skip
            await uow.commit()
            return added

    async def backlog(self, *, max_attempts: int) -> int:
        """Messages not sent yet that will still be tried (due now or later)."""
        async with self._db.engine.connect() as conn:
            count = await conn.scalar(
                select(func.count()).where(Outbox.sent_at.is_(None), Outbox.attempts < max_attempts)
            )
            return int(count or 0)

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
                Outbox.buttons,
                Outbox.edit_key,
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
                OutboxRow(
                    *row[:6],
                    files=tuple(str(f) for f in row[6] or ()),
                    buttons=tuple(
                        tuple((str(label), str(payload)) for label, payload in line)
                        for line in row[7] or ()
                    ),
                    edit_key=row[8],
                )
                for row in await conn.execute(stmt)
            ]

    async def ref(self, key: str) -> OutboxRef | None:
        """Where the message with this key went (for an edit of it), None when unknown."""
        columns = (Outbox.key, Outbox.channel, Outbox.chat_id, Outbox.message_id, Outbox.sent_at)
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(select(*columns).where(Outbox.key == key))).first()
        if row is None:
            return None
        return OutboxRef(row.key, row.channel, row.chat_id, row.message_id, row.sent_at is not None)

    async def text_of(self, key: str) -> str | None:
        """The text of the message with this key, None when there is none."""
        async with self._db.engine.connect() as conn:
            return await conn.scalar(select(Outbox.text).where(Outbox.key == key))

    async def cancel(self, key: str, now: datetime, reason: str) -> bool:
        """Drop an unsent message (a later one replaces it); False when it was sent already."""
        async with self._db.unit_of_work() as uow:
            result = await uow.session.execute(
                update(Outbox)
                .where(Outbox.key == key, Outbox.sent_at.is_(None))
                .values(sent_at=now, last_error=reason[:200])
            )
            await uow.commit()
            return bool(getattr(result, "rowcount", 0))

    async def claim(self, row_id: int, now: datetime, lease: timedelta) -> bool:
        """Take a message for sending; False when it was sent or another sender holds it.

        The claim is one atomic UPDATE, so two senders never both send it; a claim older
        than `lease` (its sender died mid-send) may be taken over. Each claim counts as an
        attempt, so a message that keeps failing is given up.
        """
        async with self._db.unit_of_work() as uow:
            result = await uow.session.execute(
                update(Outbox)
                .where(
                    Outbox.id == row_id,
                    Outbox.sent_at.is_(None),
                    or_(Outbox.attempted_at.is_(None), Outbox.attempted_at < now - lease),
                )
                .values(attempts=Outbox.attempts + 1, attempted_at=now)
            )
            await uow.commit()
            return bool(getattr(result, "rowcount", 0))

    async def sent(
        self,
        row_id: int,
        now: datetime,
        *,
        error: str | None = None,
        channel_message_id: str | None = None,
    ) -> None:
        """Record the delivery; `error` says what part of it was lost (a file), if any;
        `channel_message_id` is the channel's id of the sent message (to edit it later).

        A recipient marked unreachable got this one: the mark goes, in the same transaction.
        """
        contact = models.ChannelContact
        async with self._db.unit_of_work() as uow:
            channel, chat_id = (
                await uow.session.execute(
                    update(Outbox)
                    .where(Outbox.id == row_id)
                    .values(
                        sent_at=now,
                        last_error=error[:200] if error is not None else None,
                        message_id=channel_message_id,
                    )
                    .returning(Outbox.channel, Outbox.chat_id)
                )
            ).one()
            await uow.session.execute(
                update(contact)
                .where(
                    contact.channel == channel,
                    contact.external_id == chat_id,
                    contact.unreachable_since.is_not(None),
                )
                .values(unreachable_since=None)
            )
            await uow.commit()

    async def failed(self, row_id: int, error: str, *, retry_at: datetime | None = None) -> None:
        """Record why the attempt failed (a short, text-free description) and free the claim;
        `retry_at` postpones the next attempt (back-off)."""
        values: dict[str, object] = {"last_error": error[:200], "attempted_at": None}
        if retry_at is not None:
            values["due_at"] = retry_at
        await self._update(row_id, **values)

    async def give_up(self, row_id: int, error: str) -> None:
        """Stop trying a message (its recipient cannot be reached): no attempts are left."""
        await self._update(
            row_id, last_error=error[:200], attempted_at=None, attempts=_NO_MORE_ATTEMPTS
        )

    async def _update(self, row_id: int, **values: object) -> None:
        async with self._db.unit_of_work() as uow:
            await uow.session.execute(update(Outbox).where(Outbox.id == row_id).values(**values))
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
