"""What channel adapters keep between updates: OAuth tokens, reachability, held-back replies.

Each method is its own transaction. Adapters (in `bot/`) use this directly: it is transport
state, not part of a conversation, so the engine's units of work never touch it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update

from storage import models
from storage.db import Database
from storage.sql import dialect_insert


@dataclass(frozen=True)
class TokenRecord:
    """A stored access/refresh token pair; `version` grows with every refresh."""

    name: str
    access_token: str
    access_expires_at: datetime
    refresh_token: str
    version: int


@dataclass(frozen=True)
class ContactRecord:
    """A person as a channel can reach them."""

    channel: str
    external_id: str
    last_message_id: str | None
    last_inbound_at: datetime | None
    replies_to_last: int
    unreachable_since: datetime | None


TokenSaver = Callable[[str, datetime, str, datetime], Awaitable[TokenRecord]]


def _token(row: models.ChannelToken) -> TokenRecord:
    return TokenRecord(
        name=row.name,
        access_token=row.access_token,
        access_expires_at=row.access_expires_at,
        refresh_token=row.refresh_token,
        version=row.version,
    )


def _contact(row: models.ChannelContact) -> ContactRecord:
    return ContactRecord(
        channel=row.channel,
        external_id=row.external_id,
        last_message_id=row.last_message_id,
        last_inbound_at=row.last_inbound_at,
        replies_to_last=row.replies_to_last,
        unreachable_since=row.unreachable_since,
    )


class ChannelStore:
    """Tokens, contacts and pending messages, over one database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- tokens -------------------------------------------------------------------------------

    async def get_token(self, name: str) -> TokenRecord | None:
        """The stored tokens of `name`, if any."""
        async with self._db.unit_of_work() as uow:
            row = await uow.session.get(models.ChannelToken, name)
            return _token(row) if row is not None else None

    async def put_token(
        self, name: str, access: str, access_expires_at: datetime, refresh: str, at: datetime
    ) -> TokenRecord:
        """Store a fresh pair (after an authorisation), replacing whatever was there."""
        async with self.locked_token(name) as (_current, save):
            return await save(access, access_expires_at, refresh, at)

    @asynccontextmanager
    async def locked_token(self, name: str) -> AsyncIterator[tuple[TokenRecord | None, TokenSaver]]:
        """Hold the token row locked: yields the current tokens and a function that replaces them.

        A refresh token is single-use, so exactly one process may spend it: on PostgreSQL the row
        stays locked (SELECT ... FOR UPDATE) until the block ends, and a second process waits,
        then sees the new tokens; SQLite serves one process, whose units of work are serialised.
        The new tokens are committed when the block ends without an exception.
        """
        async with self._db.unit_of_work() as uow:
            stmt = select(models.ChannelToken).where(models.ChannelToken.name == name)
            row = (await uow.session.execute(stmt.with_for_update())).scalar_one_or_none()
            current = _token(row) if row is not None else None

            async def save(
                access: str, access_expires_at: datetime, refresh: str, at: datetime
            ) -> TokenRecord:
                nonlocal row
                if row is None:
                    row = models.ChannelToken(name=name, version=0)
                    uow.session.add(row)
                row.access_token = access
                row.access_expires_at = access_expires_at
                row.refresh_token = refresh
                row.version = (row.version or 0) + 1
                row.updated_at = at
                await uow.session.flush()
                return _token(row)

            yield current, save
            await uow.commit()

    # --- contacts -----------------------------------------------------------------------------

    async def get_contact(self, channel: str, external_id: str) -> ContactRecord | None:
        """What is known about reaching `external_id` on `channel`."""
        async with self._db.unit_of_work() as uow:
            row = await uow.session.get(models.ChannelContact, (channel, external_id))
            return _contact(row) if row is not None else None

    async def note_inbound(
        self, channel: str, external_id: str, message_id: str | None, at: datetime
    ) -> None:
        """The person wrote (or followed): they are reachable again, their reply quota restarts."""
        values = {
            "last_message_id": message_id,
            "last_inbound_at": at,
            "replies_to_last": 0,
            "unreachable_since": None,
        }
        async with self._db.unit_of_work() as uow:
            stmt = (
                dialect_insert(uow.session, models.ChannelContact)
                .values(channel=channel, external_id=external_id, **values)
                .on_conflict_do_update(index_elements=["channel", "external_id"], set_=values)
            )
            await uow.session.execute(stmt)
            await uow.commit()

    async def note_reply(self, channel: str, external_id: str) -> None:
        """One more reply was sent against the person's last message."""
        async with self._db.unit_of_work() as uow:
            await uow.session.execute(
                update(models.ChannelContact)
                .where(
                    models.ChannelContact.channel == channel,
                    models.ChannelContact.external_id == external_id,
                )
                .values(replies_to_last=models.ChannelContact.replies_to_last + 1)
            )
            await uow.commit()

    async def mark_unreachable(self, channel: str, external_id: str, at: datetime) -> None:
        """The channel refused to deliver until the person writes again."""
        async with self._db.unit_of_work() as uow:
            stmt = (
                dialect_insert(uow.session, models.ChannelContact)
                .values(
                    channel=channel,
                    external_id=external_id,
                    replies_to_last=0,
                    unreachable_since=at,
                )
                .on_conflict_do_update(
                    index_elements=["channel", "external_id"], set_={"unreachable_since": at}
                )
            )
            await uow.session.execute(stmt)
            await uow.commit()

    # --- pending messages ---------------------------------------------------------------------

    async def add_pending(
        self, channel: str, external_id: str, texts: list[str], at: datetime
    ) -> None:
        """Keep replies that could not be delivered, in order."""
        async with self._db.unit_of_work() as uow:
            uow.session.add_all(
                models.PendingMessage(
                    channel=channel, external_id=external_id, text=text, created_at=at
                )
                for text in texts
            )
            await uow.commit()

    @asynccontextmanager
    async def pending(self, channel: str, external_id: str) -> AsyncIterator[list[str]]:
        """The held-back replies of a person, oldest first; removed when the block succeeds.

        On PostgreSQL the rows stay locked while the block delivers them, so two processes
        handling the same person's messages cannot deliver them twice.
        """
        async with self._db.unit_of_work() as uow:
            where = (
                models.PendingMessage.channel == channel,
                models.PendingMessage.external_id == external_id,
            )
            stmt = select(models.PendingMessage).where(*where).order_by(models.PendingMessage.id)
            rows = list((await uow.session.execute(stmt.with_for_update())).scalars())
            yield [row.text for row in rows]
            if rows:
                ids = [row.id for row in rows]
                await uow.session.execute(
                    delete(models.PendingMessage).where(models.PendingMessage.id.in_(ids))
                )
                await uow.commit()
