"""What a digest counts, aggregated in SQL: a handful of GROUP BY queries over one index range.

A province-month over a million submissions must stay fast and small, so no submission row is
loaded for the figures; only `items` (the Excel listing) streams rows, in batches.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, exists, func, literal, or_, select

from storage import models
from storage.answers import scope_conditions
from storage.db import Database
from storage.records import AWAITING_STATUSES
from storage.sql import sensitive_condition

S = models.Submission
SPAM = "spam"  # submissions.review_state of what a moderator marked as spam


@dataclass(frozen=True)
class DigestScope:
    """Which submissions a digest covers: a province, some communes, some topics (all optional)."""

    province_code: str | None = None
    locality_codes: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()


@dataclass(frozen=True)
class PeriodCounts:
    """The figures of one period."""

    total: int = 0
    by_topic: Counter[str | None] = field(default_factory=Counter)
    by_kind: Counter[str] = field(default_factory=Counter)
    by_group: Counter[str | None] = field(default_factory=Counter)
    by_locality: Counter[str | None] = field(default_factory=Counter)  # by locality name
    sensitive: int = 0
    awaiting_answer: int = 0
    overdue: int = 0
    # Residents' ratings (1-5) given in the period, whenever the submission was made.
    ratings: int = 0
    rating_total: int = 0


@dataclass(frozen=True)
class ClusterCount:
    """A recurring problem in the period: its size there and its representative submission."""

    cluster_id: int
    size: int
    topic: str | None
    locality_name: str | None
    text: str  # as stored: the caller redacts


@dataclass(frozen=True)
class ItemRow:
    """One submission as the listing shows it (raw text: the caller redacts or hides it)."""

    code: str
    created_at: datetime
    kind: str
    topic: str | None
    locality_name: str | None
    target_group: str | None
    status: str
    text: str
    flags: tuple[str, ...]
    answer_due_at: datetime | None
    answered_at: datetime | None
    sensitive: bool


def _where(scope: DigestScope, start: datetime, end: datetime) -> list[Any]:
    conditions: list[Any] = [S.created_at >= start, S.created_at < end]
    # What a moderator marked as spam is no opinion: left out of every figure.
    conditions.append(or_(S.review_state.is_(None), S.review_state != SPAM))
    if scope.province_code:
        conditions.append(S.province_code == scope.province_code)
    if scope.locality_codes:
        conditions.append(S.locality_code.in_(scope.locality_codes))
    if scope.topics:
        conditions.append(S.topic.in_(scope.topics))
    return conditions


class DigestQueries:
    """The digest's queries over one database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def counts(
        self, scope: DigestScope, start: datetime, end: datetime, now: datetime
    ) -> PeriodCounts:
        """Totals and breakdowns of the submissions created in [start, end)."""
        where = _where(scope, start, end)
        awaiting = S.status.in_(AWAITING_STATUSES)
        one = literal(1)
        zero = literal(0)
        by_labels = (
            select(
                S.topic,
                S.kind,
                S.target_group,
                func.count(),
                func.sum(case((sensitive_condition(), one), else_=zero)),
                func.sum(case((awaiting, one), else_=zero)),
                func.sum(case((and_(awaiting, S.answer_due_at < now), one), else_=zero)),
            )
            .where(*where)
            .group_by(S.topic, S.kind, S.target_group)
        )
        by_locality = select(S.locality_name, func.count()).where(*where).group_by(S.locality_name)
        rated = [S.rated_at >= start, S.rated_at < end, S.rating.is_not(None)]
        rated += scope_conditions(scope.province_code, scope.locality_codes, scope.topics)
        by_rating = select(func.count(S.rating), func.sum(S.rating)).where(*rated)
        result = PeriodCounts()
        total = sensitive = waiting = late = 0
        async with self._db.engine.connect() as conn:
            for topic, kind, group, count, n_sensitive, n_waiting, n_late in await conn.execute(
                by_labels
            ):
                total += count
                sensitive += n_sensitive or 0
                waiting += n_waiting or 0
                late += n_late or 0
                result.by_topic[topic] += count
                result.by_kind[kind] += count
                result.by_group[group] += count
            for name, count in await conn.execute(by_locality):
                result.by_locality[name] += count
            ratings, rating_total = (await conn.execute(by_rating)).one()
        return PeriodCounts(
            total=total,
            by_topic=result.by_topic,
            by_kind=result.by_kind,
            by_group=result.by_group,
            by_locality=result.by_locality,
            sensitive=sensitive,
            awaiting_answer=waiting,
            overdue=late,
            ratings=int(ratings or 0),
            rating_total=int(rating_total or 0),
        )

    async def top_clusters(
        self, scope: DigestScope, start: datetime, end: datetime, limit: int = 5
    ) -> list[ClusterCount]:
        """The largest clusters of the period (2+ submissions), sensitive ones left out.

        Only restricted members are left out, so a cluster whose representative is restricted
        (a denunciation that founded it, an item a moderator restricted later) still counts;
        its text is then that of its first member that may be quoted, never the representative's.
        """
        where = [*_where(scope, start, end), S.cluster_id.is_not(None), ~sensitive_condition()]
        sizes = (
            select(
                S.cluster_id.label("cluster_id"),
                func.count().label("size"),
                func.min(S.id).label("first_id"),
            )
            .where(*where)
            .group_by(S.cluster_id)
            .having(func.count() >= 2)
            .order_by(func.count().desc(), S.cluster_id)
            .limit(limit)
            .subquery()
        )
        representative = models.Submission.__table__.alias("representative")
        # S here is its own FROM (the query reads `representative`), one lookup per cluster.
        quotable = exists().where(
            S.id == models.Cluster.representative_submission_id, ~sensitive_condition()
        )
        shown = case(
            (quotable, models.Cluster.representative_submission_id), else_=sizes.c.first_id
        )
        stmt = (
            select(
                sizes.c.cluster_id,
                sizes.c.size,
                representative.c.topic,
                representative.c.locality_name,
                representative.c.text,
            )
            .join(models.Cluster, models.Cluster.id == sizes.c.cluster_id)
            .join(representative, representative.c.id == shown)
            .order_by(sizes.c.size.desc(), sizes.c.cluster_id)
        )
        async with self._db.engine.connect() as conn:
            rows = await conn.execute(stmt)
            return [ClusterCount(*row) for row in rows]

    async def items(
        self, scope: DigestScope, start: datetime, end: datetime, *, batch_size: int = 2000
    ) -> AsyncIterator[ItemRow]:
        """Every submission of the period, oldest first, streamed in batches by id."""
        sensitive = sensitive_condition().label("sensitive")
        columns: Sequence[Any] = (
            S.id,
            S.code,
            S.created_at,
            S.kind,
            S.topic,
            S.locality_name,
            S.target_group,
            S.status,
            S.text,
            S.flags,
            S.answer_due_at,
            S.answered_at,
            sensitive,
        )
        last_id = 0
        while True:
            stmt = (
                select(*columns)
                .where(*_where(scope, start, end), S.id > last_id)
                .order_by(S.id)
                .limit(batch_size)
            )
            async with self._db.engine.connect() as conn:
                rows = list(await conn.execute(stmt))
            if not rows:
                return
            for row in rows:
                codes = tuple(
                    str(flag.get("code")) for flag in (row.flags or []) if isinstance(flag, dict)
                )
                yield ItemRow(
                    code=row.code,
                    created_at=row.created_at,
                    kind=row.kind,
                    topic=row.topic,
                    locality_name=row.locality_name,
                    target_group=row.target_group,
                    status=row.status,
                    text=row.text,
                    flags=codes,
                    answer_due_at=row.answer_due_at,
                    answered_at=row.answered_at,
                    sensitive=bool(row.sensitive),
                )
            last_id = rows[-1].id
