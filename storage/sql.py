"""SQL pieces every repository shares; a leaf module (models and records only), so that any
storage module can use it without an import cycle."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage import models
from storage.records import SENSITIVE_FLAGS, SENSITIVE_KIND, OutboxRef


def dialect_insert(session: AsyncSession, table: Any) -> Any:
    """A dialect-specific INSERT that supports ON CONFLICT DO NOTHING / DO UPDATE."""
    if session.bind.dialect.name == "postgresql":
        return pg_insert(table)
    return sqlite_insert(table)


def sensitive_condition() -> Any:
    """Whether a submission is restricted (its text only for moderators, admins and the
    designated officers of its scope: handlers.roles.may_read), in SQL."""
    submission = models.Submission
    flags_text = cast(submission.flags, String)
    return or_(
        submission.restricted.is_(True),
        submission.kind == SENSITIVE_KIND,
        *(flags_text.like(f'%"{code}"%') for code in SENSITIVE_FLAGS),
    )


ButtonRows = Sequence[Sequence[tuple[str, str]]]
"""Inline buttons of an outbox message: rows of (label, payload)."""


class SqlOutboxQueue:
    """The outbox inside a session: a message queued commits (or not) with the rest."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        # How many messages this unit of work queued: the engine wakes the sender when > 0.
        self.queued = 0

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
        """Add a message unless its key is already there; True when it was added.

        `buttons` show where the channel has them; `edit_key` names an earlier message this
        one replaces (edited in place where the channel can, else sent after it); `subject`
        (a case code) lets `find` list a case's messages.
        """
        stmt = (
            dialect_insert(self._session, models.OutboxMessage)
            .values(
                key=key,
                channel=channel,
                chat_id=chat_id,
                text=text,
                due_at=due_at,
                created_at=now,
                attempts=0,
                files=list(files),
                buttons=[[[label, payload] for label, payload in row] for row in buttons],
                edit_key=edit_key,
                subject=subject,
            )
            .on_conflict_do_nothing(index_elements=["key"])
        )
        result = await self._session.execute(stmt)
        added = bool(getattr(result, "rowcount", 0))
        self.queued += added
        return added

    async def find(self, subject: str, key_prefix: str = "") -> list[OutboxRef]:
        """The messages about `subject` whose key starts with `key_prefix`, oldest first."""
        message = models.OutboxMessage
        stmt = select(
            message.key, message.channel, message.chat_id, message.message_id, message.sent_at
        ).where(message.subject == subject)
        if key_prefix:
            stmt = stmt.where(message.key.startswith(key_prefix, autoescape=True))
        rows = await self._session.execute(stmt.order_by(message.id))
        return [
            OutboxRef(key, channel, chat_id, message_id, sent_at is not None)
            for key, channel, chat_id, message_id, sent_at in rows
        ]
