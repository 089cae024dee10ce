"""Repositories over one SQLAlchemy session; none of them commits (the unit of work does)."""

from __future__ import annotations

import asyncio
import functools
import struct
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any

from sqlalchemy import TextClause, bindparam, case, delete, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import models
from storage.answers import SqlAnswers, folded, prepare_folding, scope_conditions
from storage.cases import SqlCases
from storage.consultations import SqlConsultations
from storage.deadlines import SqlDeadlines
from storage.records import (
    AttachmentRecord,
    AuditRecord,
    ClusterRecord,
    ConversationRecord,
    NewSubmission,
    PersonRecord,
    SubmissionRecord,
)
from storage.review import SqlReview
from storage.sql import SqlOutboxQueue, dialect_insert, sensitive_condition
from storage.units import SqlInvites, SqlUnits


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
        unit_code=row.unit_code,
        topics=tuple(row.topics or ()),
        on_duty=bool(row.on_duty),
        designated=bool(row.designated),
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
        predicted_kind=row.predicted_kind,
        flags=list(row.flags or []),
        cluster_id=row.cluster_id,
        needs_review=row.needs_review,
        attachments=attachments,
        answer_due_at=row.answer_due_at,
        answered_at=row.answered_at,
        review_state=row.review_state,
        reviewed_at=row.reviewed_at,
        restricted=bool(row.restricted),
        status_reason=row.status_reason,
        status_changed_at=row.status_changed_at,
        rating=row.rating,
        rated_at=row.rated_at,
    )


class SqlPeople:
    """People by channel identity."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def list_staff(self) -> list[PersonRecord]:
        """Everyone with a role besides resident (officers, moderators, admins)."""
        rows = await self._session.scalars(
            select(models.Person).where(models.Person.role != "resident").order_by(models.Person.id)
        )
        return [_person(row) for row in rows]

    async def get_by_channel(self, channel: str, external_id: str) -> PersonRecord | None:
        """The person behind a channel identity, if they consented before."""
        row = await self._session.scalar(
            select(models.Person).where(
                models.Person.channel == channel, models.Person.external_id == external_id
            )
        )
        return _person(row) if row else None

    async def get(self, person_id: int) -> PersonRecord | None:
        """One person by id (None once they erased their data)."""
        row = await self._session.get(models.Person, person_id)
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
        """Remove the person row and what channels keep about them (replies held back too).

        Their submissions keep no link to the person.
        """
        row = await self._session.get(models.Person, person_id)
        if row is None:
            return
        for table in (models.ChannelContact, models.PendingMessage):
            await self._session.execute(
                delete(table).where(
                    table.channel == row.channel, table.external_id == row.external_id
                )
            )
        await self._session.execute(delete(models.Person).where(models.Person.id == person_id))

    async def set_role(
        self,
        person_id: int,
        *,
        role: str,
        unit_code: str | None,
        topics: Sequence[str],
        designated: bool = False,
    ) -> PersonRecord:
        """Give a person a role, a unit and topics (an empty list: every topic).

        `designated` (officers only) is set anew with every role: a new role is a new grant.
        """
        row = await self._session.get(models.Person, person_id)
        if row is None:
            raise LookupError(f"no person {person_id}")
        row.role, row.unit_code, row.topics = role, unit_code, list(topics)
        row.designated = designated
        await self._session.flush()
        return _person(row)


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
        stmt = dialect_insert(self._session, models.Conversation).values(
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
            topic=new.topic,
            topic_confidence=new.topic_confidence,
            predicted_kind=new.predicted_kind,
            kind_confidence=new.kind_confidence,
            flags=list(new.flags),
            needs_review=new.needs_review,
            answer_due_at=new.answer_due_at,
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

    async def search(
        self,
        words: Sequence[str],
        *,
        province_code: str | None = None,
        locality_codes: Sequence[str] = (),
        topics: Sequence[str] = (),
        include_sensitive: bool = True,
        limit: int = 10,
    ) -> list[SubmissionRecord]:
        """Newest submissions of a scope whose folded text contains every folded word."""
        await prepare_folding(self._session)
        haystack = folded(models.Submission.text, self._session.bind.dialect.name)
        where = scope_conditions(province_code, locality_codes, topics)
        where += [haystack.like(f"%{word}%") for word in words if word]
        if not include_sensitive:
            where.append(~sensitive_condition())
        rows = await self._session.scalars(
            select(models.Submission)
            .where(*where)
            .order_by(models.Submission.created_at.desc(), models.Submission.id.desc())
            .limit(limit)
        )
        return [_submission(row) for row in rows]

    async def due_for_retention(
        self, statuses: Sequence[str], before: datetime, limit: int
    ) -> list[tuple[int, str, list[tuple[int, str]]]]:
        """Cases in `statuses` since before `before` whose raw text is still there:
        (id, text, [(follow-up id, text)]), oldest first."""
        submission = models.Submission
        rows = (
            await self._session.execute(
                select(submission.id, submission.text)
                .where(
                    submission.status.in_(statuses),
                    submission.status_changed_at < before,
                    submission.raw_erased_at.is_(None),
                )
                .order_by(submission.id)
                .limit(limit)
            )
        ).all()
        followups: dict[int, list[tuple[int, str]]] = {}
        if rows:
            found = await self._session.execute(
                select(models.Followup.submission_id, models.Followup.id, models.Followup.text)
                .where(models.Followup.submission_id.in_([row.id for row in rows]))
                .order_by(models.Followup.id)
            )
            for submission_id, followup_id, text in found:
                followups.setdefault(submission_id, []).append((followup_id, text))
        return [(row.id, row.text, followups.get(row.id, [])) for row in rows]

    async def erase_raw(
        self,
        texts: Sequence[tuple[int, str]],
        followup_texts: Sequence[tuple[int, str]],
        at: datetime,
    ) -> None:
        """Put the redacted texts in place of the raw ones and drop the photos and locations."""
        ids = [submission_id for submission_id, _ in texts]
        await self._session.execute(
            delete(models.Attachment).where(models.Attachment.submission_id.in_(ids))
        )
        for submission_id, redacted in texts:
            await self._session.execute(
                update(models.Submission)
                .where(models.Submission.id == submission_id)
                .values(text=redacted, raw_erased_at=at, updated_at=at)
            )
        for followup_id, redacted in followup_texts:
            await self._session.execute(
                update(models.Followup)
                .where(models.Followup.id == followup_id)
                .values(text=redacted)
            )

    async def anonymise_person(self, person_id: int, placeholder: str, at: datetime) -> int:
        """Replace a person's texts, drop their attachments and unlink them; counts survive."""
        ids = select(models.Submission.id).where(models.Submission.person_id == person_id)
        await self._session.execute(
            delete(models.Attachment).where(models.Attachment.submission_id.in_(ids))
        )
        await self._session.execute(
            update(models.Followup)
            .where(models.Followup.person_id == person_id)
            .values(text=placeholder, person_id=None)
        )
        result = await self._session.execute(
            update(models.Submission)
            .where(models.Submission.person_id == person_id)
            .values(text=placeholder, person_id=None, signature=None, updated_at=at)
        )
        return int(getattr(result, "rowcount", 0) or 0)


def _pack_signature(signature: Sequence[int]) -> bytes:
    """Little-endian unsigned 32-bit integers (what nlp.duplicates produces)."""
    return struct.pack(f"<{len(signature)}I", *signature)


def _unpack_signature(data: bytes) -> tuple[int, ...]:
    return struct.unpack(f"<{len(data) // 4}I", data)


@functools.cache
def _candidates_sql(keys: int) -> TextClause:
    """Per band key, the newest clusters that have it (bounded), in one round trip.

    Plain SQL, built once per key count: composing 32 subqueries with the expression language
    costs more than running them.
    """
    part = (
        "SELECT cluster_id, submission_id FROM (SELECT cluster_id, submission_id"
        " FROM cluster_keys WHERE scope = :scope AND band_key = :k{i}"
        " ORDER BY cluster_id DESC LIMIT :rows) AS q{i}"
    )
    return text(" UNION ALL ".join(part.format(i=i) for i in range(keys)))


@functools.cache
def _samples_sql(clusters: int, table: str) -> TextClause:
    """Each candidate cluster's newest members, representative and best-matching member."""
    recent = (
        "SELECT id, cluster_id, signature FROM (SELECT id, cluster_id, signature"
        f" FROM {table} WHERE cluster_id = :c{{i}} ORDER BY id DESC LIMIT :recent) AS r{{i}}"
    )
    # Two parts rather than one with OR: PostgreSQL would scan the table for the OR.
    named = f"SELECT id, cluster_id, signature FROM {table} WHERE id IN :ids"
    representatives = (
        f"SELECT {table}.id, {table}.cluster_id, {table}.signature"
        f" FROM clusters JOIN {table} ON {table}.id = clusters.representative_submission_id"
        " WHERE clusters.id IN :clusters"
    )
    parts = [*(recent.format(i=i) for i in range(clusters)), named, representatives]
    statement = " UNION ALL ".join(parts)
    return text(statement).bindparams(
        bindparam("ids", expanding=True), bindparam("clusters", expanding=True)
    )


class SqlClusters:
    """Near-duplicate clusters: candidates come from shared LSH band keys within one scope.

    The caller (which knows the NLP) passes the signature, its band keys and the similarity
    function; storage only finds candidates, compares and records. A submission joins the
    candidate cluster whose sample of members (the representative, the most recent members and
    the member that shared most band keys) has the highest mean similarity to it, if that mean
    reaches the threshold; otherwise it founds a new cluster. The mean, rather than the best
    match, keeps a text that resembles only some members (same street, other problem) out.

    Work per call is bounded whatever the scope's size: at most ROWS_PER_KEY key rows per band
    key (the newest clusters first), MAX_CANDIDATES clusters, and SAMPLE_RECENT + 2 signatures
    per cluster. Sizes are incremented in SQL, so concurrent units of work never lose a count;
    two processes seeing one new problem at the same moment may found two clusters.
    """

    ROWS_PER_KEY = 50
    MAX_CANDIDATES = 8
    SAMPLE_RECENT = 6

    def __init__(
        self,
        session: AsyncSession,
        members: type[models.Submission] | type[models.ConsultationComment] = models.Submission,
    ) -> None:
        self._session = session
        # Whose clusters: submissions, or comments on drafts (scopes "gy:…" never overlap
        # theirs). Both tables have `id`, `cluster_id` and `signature`.
        self._members = members

    async def assign(
        self,
        *,
        submission_id: int,
        scope: str,
        signature: Sequence[int],
        band_keys: Sequence[str],
        similarity: Callable[[Sequence[int], Sequence[int]], float],
        threshold: float,
        at: datetime,
    ) -> ClusterRecord:
        """Put a stored submission into the most similar cluster of its scope, or a new one.

        Idempotent: a submission that already has a cluster keeps it.
        """
        members = self._members
        current = await self._session.execute(
            select(members.cluster_id).where(members.id == submission_id)
        )
        row = current.first()
        if row is None:
            raise LookupError(f"no submission {submission_id}")
        if row.cluster_id is not None:
            found = await self.get(row.cluster_id)
            assert found is not None  # the foreign key guarantees it
            return found
        keys = sorted(set(band_keys))
        cluster_id = await self._best_match(scope, tuple(signature), keys, similarity, threshold)
        if cluster_id is not None:
            await self._session.execute(
                update(models.Cluster)
                .where(models.Cluster.id == cluster_id)
                .values(size=models.Cluster.size + 1, updated_at=at)
            )
        else:
            cluster_id = await self._session.scalar(
                dialect_insert(self._session, models.Cluster)
                .values(
                    scope=scope,
                    size=1,
                    representative_submission_id=submission_id,
                    created_at=at,
                    updated_at=at,
                )
                .returning(models.Cluster.id)
            )
            assert cluster_id is not None
        await self._session.execute(
            update(members)
            .where(members.id == submission_id)
            .values(cluster_id=cluster_id, signature=_pack_signature(signature))
        )
        if keys:
            await self._session.execute(
                dialect_insert(self._session, models.ClusterKey).on_conflict_do_nothing(
                    index_elements=["scope", "band_key", "cluster_id"]
                ),
                [
                    {
                        "scope": scope,
                        "band_key": key,
                        "cluster_id": cluster_id,
                        "submission_id": submission_id,
                    }
                    for key in keys
                ],
            )
        found = await self.get(cluster_id)
        assert found is not None
        return found

    async def release(self, member_id: int, at: datetime) -> None:
        """Take a member out of its cluster (its text changed): the size drops by one."""
        members = self._members
        cluster_id = await self._session.scalar(
            select(members.cluster_id).where(members.id == member_id)
        )
        if cluster_id is None:
            return
        await self._session.execute(
            update(models.Cluster)
            .where(models.Cluster.id == cluster_id)
            .values(size=models.Cluster.size - 1, updated_at=at)
        )
        await self._session.execute(
            update(members).where(members.id == member_id).values(cluster_id=None, signature=None)
        )

    async def _best_match(
        self,
        scope: str,
        signature: tuple[int, ...],
        keys: list[str],
        similarity: Callable[[Sequence[int], Sequence[int]], float],
        threshold: float,
    ) -> int | None:
        if not keys:
            return None
        params: dict[str, Any] = {"scope": scope, "rows": self.ROWS_PER_KEY}
        params.update((f"k{i}", key) for i, key in enumerate(keys))
        rows = (await self._session.execute(_candidates_sql(len(keys)), params)).all()
        if not rows:
            return None
        hits: dict[int, int] = {}
        member_hits: dict[tuple[int, int], int] = {}
        for cluster_id, member_id in rows:
            hits[cluster_id] = hits.get(cluster_id, 0) + 1
            member_hits[cluster_id, member_id] = member_hits.get((cluster_id, member_id), 0) + 1
        chosen = sorted(hits, key=lambda c: (hits[c], c), reverse=True)[: self.MAX_CANDIDATES]
        best_members: dict[int, tuple[int, int]] = {c: (0, 0) for c in chosen}  # (hits, member)
        for (cluster_id, member_id), count in member_hits.items():
            if cluster_id in best_members and (count, member_id) > best_members[cluster_id]:
                best_members[cluster_id] = (count, member_id)
        samples = await self._samples(
            chosen, [best_members[c][1] for c in chosen], 4 * len(signature)
        )
        best: tuple[float, int, int] | None = None
        for cluster_id in chosen:
            signatures = samples.get(cluster_id)
            if not signatures:
                continue
            score = sum(similarity(signature, other) for other in signatures) / len(signatures)
            candidate = (score, hits[cluster_id], cluster_id)
            if best is None or candidate > best:
                best = candidate
        if best is None or best[0] < threshold:
            return None
        return best[2]

    async def _samples(
        self, cluster_ids: list[int], members: list[int], size: int
    ) -> dict[int, list[tuple[int, ...]]]:
        """Signatures of each cluster's representative, newest members and best-matching member.

        Signatures of another size (another signature version) and erased ones are left out.
        """
        params: dict[str, Any] = {"ids": members, "clusters": cluster_ids}
        params["recent"] = self.SAMPLE_RECENT
        params.update((f"c{i}", cluster_id) for i, cluster_id in enumerate(cluster_ids))
        rows = await self._session.execute(
            _samples_sql(len(cluster_ids), self._members.__tablename__), params
        )
        found: dict[int, dict[int, tuple[int, ...]]] = {}
        for member_id, cluster_id, data in rows:
            if data is not None and len(data) == size:
                found.setdefault(cluster_id, {})[member_id] = _unpack_signature(data)
        return {cluster_id: list(by_id.values()) for cluster_id, by_id in found.items()}

    async def get(self, cluster_id: int) -> ClusterRecord | None:
        """One cluster with its representative's (unredacted) text."""
        rows = await self._select_records(models.Cluster.id == cluster_id)
        return rows[0] if rows else None

    async def list_in_scope(
        self, scope: str, min_size: int = 2, limit: int | None = None
    ) -> list[ClusterRecord]:
        """The scope's clusters of at least `min_size` submissions, largest first."""
        return await self._select_records(
            models.Cluster.scope == scope, models.Cluster.size >= min_size, limit=limit
        )

    async def forget_keys(self, before_scope: str) -> int:
        """Drop the band keys of every scope that sorts before `before_scope`; returns rows.

        Keys only serve to find candidates in a scope that still takes submissions; with
        month-first scopes ("2026-10:26734"), `forget_keys("2026-10")` drops every month before
        October 2026 in one range delete. Clusters, sizes and memberships stay.
        """
        result = await self._session.execute(
            delete(models.ClusterKey).where(models.ClusterKey.scope < before_scope)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def _select_records(self, *where: Any, limit: int | None = None) -> list[ClusterRecord]:
        cluster = models.Cluster
        stmt = (
            select(
                cluster.id,
                cluster.scope,
                cluster.size,
                cluster.representative_submission_id,
                self._members.text,
            )
            .outerjoin(self._members, self._members.id == cluster.representative_submission_id)
            .where(*where)
            .order_by(cluster.size.desc(), cluster.id)
            .limit(limit)
        )
        return [
            ClusterRecord(
                id=row.id,
                scope=row.scope,
                size=row.size,
                representative_submission_id=row.representative_submission_id,
                representative_text=row.text or "",
            )
            for row in await self._session.execute(stmt)
        ]


class SqlInboundUpdates:
    """The record of processed inbound updates."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim(self, channel: str, update_id: str, at: datetime) -> bool:
        """Record an update as processed; False when it was processed before."""
        stmt = (
            dialect_insert(self._session, models.InboundUpdate)
            .values(channel=channel, update_id=update_id, processed_at=at)
            .on_conflict_do_nothing(index_elements=["channel", "update_id"])
        )
        result = await self._session.execute(stmt)
        return bool(getattr(result, "rowcount", 0))

    async def forget_before(self, before: datetime, limit: int) -> int:
        """Drop up to `limit` keys of updates processed before `before`; returns how many."""
        table = models.InboundUpdate
        oldest = (
            select(table.channel, table.update_id)
            .where(table.processed_at < before)
            .order_by(table.processed_at)
            .limit(limit)
        )
        result = await self._session.execute(
            delete(table).where(tuple_(table.channel, table.update_id).in_(oldest))
        )
        return int(getattr(result, "rowcount", 0) or 0)


class SqlRateWindows:
    """Per-identity counts of updates in one-minute windows."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def hit(self, channel: str, external_id: str, window_start: datetime) -> int:
        """Count one update in the window starting at `window_start`; the count so far.

        One statement, so concurrent workers never lose a count: a new window restarts at 1.
        """
        window = models.RateWindow
        insert = dialect_insert(self._session, window).values(
            channel=channel, external_id=external_id, window_start=window_start, count=1
        )
        same_window = window.window_start == insert.excluded.window_start
        stmt = insert.on_conflict_do_update(
            index_elements=["channel", "external_id"],
            set_={
                "count": case((same_window, window.count + 1), else_=1),
                "window_start": insert.excluded.window_start,
            },
        ).returning(window.count)
        return int(await self._session.scalar(stmt) or 0)

    async def mark_limited(self, channel: str, external_id: str, at: datetime) -> None:
        """Remember that the identity went over the limit at `at`."""
        window = models.RateWindow
        await self._session.execute(
            update(window)
            .where(window.channel == channel, window.external_id == external_id)
            .values(limited_at=at)
        )

    async def limited_since(self, channel: str, external_id: str, since: datetime) -> bool:
        """Whether the identity went over the limit at or after `since`."""
        window = models.RateWindow
        found = await self._session.scalar(
            select(window.limited_at).where(
                window.channel == channel, window.external_id == external_id
            )
        )
        return found is not None and found >= since


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

    async def since(
        self, moment: datetime, *, batch_size: int = 1000
    ) -> AsyncIterator[AuditRecord]:
        """Every entry from `moment` on, oldest first, read in batches."""
        last_id = 0
        while True:
            rows = list(
                await self._session.scalars(
                    select(models.AuditEntry)
                    .where(models.AuditEntry.at >= moment, models.AuditEntry.id > last_id)
                    .order_by(models.AuditEntry.id)
                    .limit(batch_size)
                )
            )
            if not rows:
                return
            for row in rows:
                yield AuditRecord(
                    id=row.id,
                    at=row.at,
                    actor=row.actor,
                    action=row.action,
                    subject=row.subject,
                    details=dict(row.details or {}),
                )
            last_id = rows[-1].id


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
        self.clusters = SqlClusters(self.session)
        self.updates = SqlInboundUpdates(self.session)
        self.rate_windows = SqlRateWindows(self.session)
        self.audit = SqlAuditLog(self.session)
        self.units = SqlUnits(self.session)
        self.invites = SqlInvites(self.session)
        self.answers = SqlAnswers(self.session)
        self.cases = SqlCases(self.session)
        self.outbox = SqlOutboxQueue(self.session)
        self.deadlines = SqlDeadlines(self.session)
        self.review = SqlReview(self.session)
        self.consultations = SqlConsultations(self.session)
        self.comment_clusters = SqlClusters(self.session, models.ConsultationComment)
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
