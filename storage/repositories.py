"""Repositories over one SQLAlchemy session; none of them commits (the unit of work does)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from types import TracebackType
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import models
from storage.records import (
    AttachmentRecord,
    ConversationRecord,
    NewSubmission,
    PersonRecord,
    SubmissionRecord,
)


def _insert(session: AsyncSession, table: Any) -> Any:
    """A dialect-specific INSERT that supports ON CONFLICT DO NOTHING."""
    if session.bind.dialect.name == "postgresql":
        return pg_insert(table)
    return sqlite_insert(table)


def _person(row: models.Person) -> PersonRecord:
    return PersonRecord(
        id=row.id,
        pseudonym=row.pseudonym,
        channel=row.channel,
        external_id=row.external_id,
        role=row.role,
        consent_version=row.consent_version,
        consent_at=row.consent_at,
        created_at=row.created_at,
    )


def _attachment(row: models.Attachment) -> AttachmentRecord:
    return AttachmentRecord(
        kind=row.kind,
        file_id=row.file_id,
        file_unique_id=row.file_unique_id,
        width=row.width,
        height=row.height,
        file_size=row.file_size,
        latitude=row.latitude,
        longitude=row.longitude,
    )


def _submission(
    row: models.Submission, attachments: tuple[AttachmentRecord, ...] = ()
) -> SubmissionRecord:
    return SubmissionRecord(
        id=row.id,
        code=row.code,
        person_id=row.person_id,
        kind=row.kind,
        text=row.text,
        channel=row.channel,
        created_at=row.created_at,
        status=row.status,
        locality_code=row.locality_code,
        locality_name=row.locality_name,
        province_code=row.province_code,
        target_group=row.target_group,
        topic=row.topic,
        topic_confidence=row.topic_confidence,
        kind_confidence=row.kind_confidence,
        flags=list(row.flags or []),
        cluster_id=row.cluster_id,
        needs_review=row.needs_review,
        attachments=attachments,
    )


class SqlPeople:
    """People by channel identity."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get_by_channel(self, channel: str, external_id: str) -> PersonRecord | None:
        """The person behind a channel identity, if they consented before."""
        row = await self._session.scalar(
            select(models.Person).where(
                models.Person.channel == channel, models.Person.external_id == external_id
            )
        )
        return _person(row) if row else None

    async def add(
        self,
        *,
        pseudonym: str,
        channel: str,
        external_id: str,
        consent_version: str,
        at: datetime,
    ) -> PersonRecord:
        """Create a person who has just accepted the privacy notice."""
        row = models.Person(
            pseudonym=pseudonym,
            channel=channel,
            external_id=external_id,
            role="resident",
            consent_version=consent_version,
            consent_at=at,
            created_at=at,
        )
        self._session.add(row)
        await self._session.flush()
        return _person(row)

    async def delete(self, person_id: int) -> None:
        """Remove the person row (their submissions keep no link to it)."""
        await self._session.execute(delete(models.Person).where(models.Person.id == person_id))


class SqlConversations:
    """Conversation state, locked per person for the length of a unit of work."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get_for_update(self, channel: str, external_id: str) -> ConversationRecord | None:
        """Read the state and lock it until commit, so two processes cannot interleave."""
        row = await self._session.scalar(
            select(models.Conversation)
            .where(
                models.Conversation.channel == channel,
                models.Conversation.external_id == external_id,
            )
            .with_for_update()
        )
        if row is None:
            return None
        return ConversationRecord(
            channel=row.channel,
            external_id=row.external_id,
            state=row.state,
            data=dict(row.data or {}),
            updated_at=row.updated_at,
        )

    async def save(
        self, channel: str, external_id: str, state: str, data: dict[str, Any], at: datetime
    ) -> None:
        """Insert or replace the state of one conversation."""
        stmt = _insert(self._session, models.Conversation).values(
            channel=channel, external_id=external_id, state=state, data=data, updated_at=at
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["channel", "external_id"],
            set_={"state": state, "data": data, "updated_at": at},
        )
        await self._session.execute(stmt)

    async def delete(self, channel: str, external_id: str) -> None:
        """Forget a conversation entirely."""
        await self._session.execute(
            delete(models.Conversation).where(
                models.Conversation.channel == channel,
                models.Conversation.external_id == external_id,
            )
        )


class SqlSubmissions:
    """Submissions and their attachments."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def code_exists(self, code: str) -> bool:
        """Whether a reference code is taken."""
        found = await self._session.scalar(
            select(models.Submission.id).where(models.Submission.code == code)
        )
        return found is not None

    async def add(self, new: NewSubmission) -> SubmissionRecord:
        """Store a confirmed submission with its attachments."""
        row = models.Submission(
            code=new.code,
            person_id=new.person_id,
            kind=new.kind,
            text=new.text,
            channel=new.channel,
            created_at=new.created_at,
            updated_at=new.created_at,
            status=new.status,
            locality_code=new.locality_code,
            locality_name=new.locality_name,
            province_code=new.province_code,
            target_group=new.target_group,
            flags=[],
            needs_review=False,
        )
        self._session.add(row)
        await self._session.flush()
        for attachment in new.attachments:
            self._session.add(models.Attachment(submission_id=row.id, **attachment.__dict__))
        await self._session.flush()
        return _submission(row, new.attachments)

    async def get_by_code(self, code: str) -> SubmissionRecord | None:
        """One submission by its reference code, with attachments."""
        row = await self._session.scalar(
            select(models.Submission).where(models.Submission.code == code)
        )
        if row is None:
            return None
        attachments = await self._session.scalars(
            select(models.Attachment)
            .where(models.Attachment.submission_id == row.id)
            .order_by(models.Attachment.id)
        )
        return _submission(row, tuple(_attachment(a) for a in attachments))

    async def list_by_person(self, person_id: int) -> list[SubmissionRecord]:
        """A person's submissions, oldest first."""
        rows = await self._session.scalars(
            select(models.Submission)
            .where(models.Submission.person_id == person_id)
            .order_by(models.Submission.created_at, models.Submission.id)
        )
        return [_submission(row) for row in rows]

    async def iter_all(self, batch_size: int = 1000) -> AsyncIterator[SubmissionRecord]:
        """Every submission, oldest first, streamed in batches (keyset pagination)."""
        last_id = 0
        while True:
            rows = list(
                await self._session.scalars(
                    select(models.Submission)
                    .where(models.Submission.id > last_id)
                    .order_by(models.Submission.id)
                    .limit(batch_size)
                )
            )
            if not rows:
                return
            for row in rows:
                yield _submission(row)
            last_id = rows[-1].id

    async def anonymise_person(self, person_id: int, placeholder: str, at: datetime) -> int:
        """Replace a person's texts, drop their attachments and unlink them; counts survive."""
        ids = select(models.Submission.id).where(models.Submission.person_id == person_id)
        await self._session.execute(
            delete(models.Attachment).where(models.Attachment.submission_id.in_(ids))
        )
        result = await self._session.execute(
            update(models.Submission)
            .where(models.Submission.person_id == person_id)
            .values(text=placeholder, person_id=None, updated_at=at)
        )
        return int(getattr(result, "rowcount", 0) or 0)


class SqlInboundUpdates:
    """The record of processed inbound updates."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim(self, channel: str, update_id: str, at: datetime) -> bool:
        """Record an update as processed; False when it was processed before."""
        stmt = (
            _insert(self._session, models.InboundUpdate)
            .values(channel=channel, update_id=update_id, processed_at=at)
            .on_conflict_do_nothing(index_elements=["channel", "update_id"])
        )
        result = await self._session.execute(stmt)
        return bool(getattr(result, "rowcount", 0))


class SqlAuditLog:
    """Append-only audit log."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        *,
        actor: str,
        action: str,
        at: datetime,
        subject: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Append one entry."""
        self._session.add(
            models.AuditEntry(
                actor=actor, action=action, at=at, subject=subject, details=details or {}
            )
        )


class SqlUnitOfWork:
    """One transaction; its repositories share the session; commit is explicit."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], write_lock: asyncio.Lock | None
    ) -> None:
        self._sessions = sessions
        self._write_lock = write_lock

    async def __aenter__(self) -> SqlUnitOfWork:
        if self._write_lock is not None:
            await self._write_lock.acquire()
        self.session = self._sessions()
        self.people = SqlPeople(self.session)
        self.conversations = SqlConversations(self.session)
        self.submissions = SqlSubmissions(self.session)
        self.updates = SqlInboundUpdates(self.session)
        self.audit = SqlAuditLog(self.session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self.session.rollback()  # a no-op after commit; undoes anything uncommitted
            await self.session.close()
        finally:
            if self._write_lock is not None:
                self._write_lock.release()

    async def commit(self) -> None:
        """Make everything done in this unit of work durable at once."""
        await self.session.commit()

    async def rollback(self) -> None:
        """Discard everything done in this unit of work."""
        await self.session.rollback()
