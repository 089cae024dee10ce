"""SQL pieces every repository shares; a leaf module (models and records only), so that any
storage module can use it without an import cycle."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, or_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage import models
from storage.records import SENSITIVE_FLAGS, SENSITIVE_KIND


def dialect_insert(session: AsyncSession, table: Any) -> Any:
    """A dialect-specific INSERT that supports ON CONFLICT DO NOTHING / DO UPDATE."""
    if session.bind.dialect.name == "postgresql":
        return pg_insert(table)
    return sqlite_insert(table)


def sensitive_condition() -> Any:
    """Whether a submission's text is for moderators and admins only, in SQL."""
    submission = models.Submission
    flags_text = cast(submission.flags, String)
    return or_(
        submission.kind == SENSITIVE_KIND,
        *(flags_text.like(f'%"{code}"%') for code in SENSITIVE_FLAGS),
    )


class SqlOutboxQueue:
    """The outbox inside a session: a message queued commits (or not) with the rest."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

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
            )
            .on_conflict_do_nothing(index_elements=["key"])
        )
        result = await self._session.execute(stmt)
        return bool(getattr(result, "rowcount", 0))
